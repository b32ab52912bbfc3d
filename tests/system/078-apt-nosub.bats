#!/usr/bin/env bats
# Package managers in single-uid mode (this file runs as tugnosub, a user
# without /etc/subuid range, as on an HPC login node): a Debian image's
# apt-get and dpkg install a package, although only one id exists in the
# container. dpkg's chown calls and apt's switch to the user _apt cannot
# happen for real: the fake-chown filter makes the former succeed, and apt
# is told to stay root (APT_CONFIG, a file in tug's /dev).
#
# The Debian rootfs comes from debootstrap, run once by the harness as root
# (tests/system/run-bats) from Debian's mirror; the package installed is made
# here with dpkg-deb and installed from a file, so no test traffic leaves
# the machine.

load helpers
bats_require_minimum_version 1.5.0

DEBIAN_TAR=${TUG_TEST_CACHE}/debian-bookworm.tar

setup_file() {
  if grep -qE "^($(id -un)|$(id -u)):" /etc/subuid 2>/dev/null; then
    echo "$(id -un) has a /etc/subuid range; this file needs a user without one" >&2
    return 1
  fi
}

# helpers' setup, then the Debian image and a package to install.
eval "$(declare -f setup | sed '1s/^setup/helpers_setup/')"
setup() {
  helpers_setup
  [ -s "$DEBIAN_TAR" ] ||
    skip "no Debian rootfs at $DEBIAN_TAR (debootstrap needs Debian's mirror; see run-bats)"
  "$TUG" import "$DEBIAN_TAR" debian:test >/dev/null 2>&1
  # A package whose maintainer script changes owners, as many do.
  mkdir -p "$BATS_TEST_TMPDIR/pkg/DEBIAN" "$BATS_TEST_TMPDIR/pkg/usr/share/tugtest" "$BATS_TEST_TMPDIR/repo"
  cat >"$BATS_TEST_TMPDIR/pkg/DEBIAN/control" <<'EOF'
Package: tugtest-hello
Version: 1.0
Architecture: all
Maintainer: tug tests <tug@localhost>
Depends: coreutils
Description: a package the tug tests install
EOF
  cat >"$BATS_TEST_TMPDIR/pkg/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
mkdir -p /var/lib/tugtest
chown _apt:nogroup /var/lib/tugtest
chgrp 100 /usr/share/tugtest/hello
echo configured >/var/lib/tugtest/state
EOF
  chmod 0755 "$BATS_TEST_TMPDIR/pkg/DEBIAN/postinst"
  echo "hello from a package" >"$BATS_TEST_TMPDIR/pkg/usr/share/tugtest/hello"
  dpkg-deb --root-owner-group --build "$BATS_TEST_TMPDIR/pkg" \
    "$BATS_TEST_TMPDIR/repo/tugtest-hello_1.0_all.deb" >/dev/null
}

@test "apt-get installs a package in a single-uid container; dpkg records it" {
  run_tug run --rm -v "$BATS_TEST_TMPDIR/repo:/repo:ro" debian:test sh -c '
    apt-get install -y /repo/tugtest-hello_1.0_all.deb >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }
    cat /usr/share/tugtest/hello /var/lib/tugtest/state
    dpkg-query -W -f="\${Package} \${Version} \${db:Status-Status}\n" tugtest-hello
    cat /proc/self/uid_map'
  assert_status 0
  assert_output_contains "hello from a package"
  assert_output_contains "configured"
  assert_output_contains "tugtest-hello 1.0 installed"
  # One id in the container: the premise of this file.
  [ "$(printf '%s\n' "$output" | grep -cE '^ *0 +[0-9]+ +1$')" -eq 1 ]
}

@test "a committed container keeps the package and none of tug's apt setting" {
  run_tug run --name aptbox -v "$BATS_TEST_TMPDIR/repo:/repo:ro" debian:test \
    sh -c 'apt-get install -y /repo/tugtest-hello_1.0_all.deb >/dev/null 2>&1'
  assert_status 0
  run_tug commit -q aptbox debian:with-hello
  assert_status 0
  run_tug rm -f aptbox
  run_tug run --rm debian:with-hello dpkg-query -W -f='${Status}\n' tugtest-hello
  assert_status 0
  assert_output_equals "install ok installed"
  # The setting lives in tug's /dev and the environment, not in the image.
  run_tug run --rm debian:with-hello sh -c 'echo "$APT_CONFIG"; cat /dev/.tug-apt.conf; grep -rl Sandbox /etc/apt || echo none'
  assert_status 0
  assert_output_equals '/dev/.tug-apt.conf
APT::Sandbox::User "root";
none'
}

@test "without the fake-chown filter apt and dpkg fail as the kernel says, and a user's APT_CONFIG wins" {
  run_tug run --rm --security-opt fake-chown=false -v "$BATS_TEST_TMPDIR/repo:/repo:ro" debian:test \
    apt-get install -y /repo/tugtest-hello_1.0_all.deb
  [ "$status" -ne 0 ]
  # The user's own apt configuration is left alone.
  run_tug run --rm -e APT_CONFIG=/etc/apt/none.conf debian:test sh -c 'echo "$APT_CONFIG"; test -e /dev/.tug-apt.conf && echo made || echo absent'
  assert_status 0
  assert_output_equals "/etc/apt/none.conf
absent"
}
