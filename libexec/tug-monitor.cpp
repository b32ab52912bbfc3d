// tug-monitor: owns one running container (src/monitor/, `tug-monitor --help`).
#include "monitor/monitor.hpp"

int main(int argc, char** argv) {
  return tug::monitor::run(argc, argv, false);
}
