#pragma once
namespace ftpgate {
// ftpgate replay [--ports 21,2121] [--loose] FILE...
int replay_command(int argc, char** argv);
}  // namespace ftpgate
