// `gomhc prepare`: text to the trainer's token shards (llm.c's format, byte
// tokens), split into training and validation data.
#pragma once

namespace gomhc::tools::prepare {

int prepare_main(int argc, char **argv);

}  // namespace gomhc::tools::prepare
