#pragma once
namespace ftpgate {
// ftpgate run [--config FILE] [--KEY VALUE ...]
int run_command(int argc, char** argv);
// ftpgate check-config FILE [--KEY VALUE ...] (also: run --test-config)
int check_config_command(int argc, char** argv);
// ftpgate status [--socket PATH]
int status_command(int argc, char** argv);
// ftpgate check
int check_command(int argc, char** argv);
// ftpgate helper register|unregister [--config FILE] [--KEY VALUE ...]
int helper_command(int argc, char** argv);
// ftpgate ha takeover|check ...
int ha_command(int argc, char** argv);
// ftpgate ha check [--conntrackd-config FILE] [--keepalived-config FILE]
int ha_check(int argc, char** argv);
}  // namespace ftpgate
