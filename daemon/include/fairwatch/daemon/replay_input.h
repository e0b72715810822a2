// What the commands that replay decision files share (`fairwatch replay`,
// `fairwatch baseline capture`): loading the config with every error printed,
// and feeding JSON-lines files or stdin to an engine. Single-threaded.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/engine.h"

namespace fairwatch::daemon {

// The value of `flag` at arguments[i] ("--flag=V" or "--flag V", advancing
// i past V), or nullopt when arguments[i] is not that flag or lacks a value.
std::optional<std::string> flag_value(const std::vector<std::string>& arguments, std::size_t& i,
                                      const char* flag);

// The config at `path`, or nullopt after printing every error to `err`.
std::optional<config::Config> load_config_reporting(const std::string& path, std::FILE* err);

// Offers every non-blank line of `inputs` ("-" is stdin), in order, to the
// engine, showing progress on `err` when it is a terminal. Returns false
// after printing "<command>: cannot open …" or "… error reading …" to `err`.
bool feed_inputs(Engine& engine, const std::vector<std::string>& inputs, const char* command,
                 std::FILE* err);

}  // namespace fairwatch::daemon
