// tug-test-notify VAR=VALUE...: sends its arguments, one per line, as one
// datagram to $NOTIFY_SOCKET, as systemd-notify would. Static, for tests:
// busybox has no sd_notify client, so a test binds this into a container.
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <string>

int main(int argc, char** argv) {
  const char* target = getenv("NOTIFY_SOCKET");
  if (!target || !*target) {
    fprintf(stderr, "tug-test-notify: NOTIFY_SOCKET is not set\n");
    return 2;
  }
  std::string msg;
  for (int i = 1; i < argc; ++i) msg += std::string(argv[i]) + "\n";
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  size_t len = strlen(target);
  if (len >= sizeof addr.sun_path) return 2;
  memcpy(addr.sun_path, target, len);
  if (target[0] == '@') addr.sun_path[0] = 0;
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  socklen_t alen = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + len +
                                          (target[0] == '@' ? 0 : 1));
  if (fd < 0 || sendto(fd, msg.data(), msg.size(), 0, (struct sockaddr*)&addr, alen) < 0) {
    perror("tug-test-notify");
    return 1;
  }
  return 0;
}
