# The interfaces a container sees (issue 17): on a user-defined network
# eth0 alone (and lo), its default route through the network's gateway, as
# with docker and podman; the way out is the rootless network namespace's.

@ net-user-defined-interfaces
E network create --subnet 10.93.7.0/24 ifs
E run --rm --network ifs $IMG sh -c 'ls /sys/class/net; ip route | grep ^default | cut -d" " -f1-5'
E network rm ifs
