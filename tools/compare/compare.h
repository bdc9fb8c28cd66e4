// `gomhc compare`: the paper's language-model comparison. Trains every
// method of --methods with the same data, seeds, steps and schedule (one
// preset), and writes DIR/summary.csv, DIR/val_loss.png and a table.
#pragma once

namespace gomhc::tools::compare {

int compare_main(int argc, char **argv);

}  // namespace gomhc::tools::compare
