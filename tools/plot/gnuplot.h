// Drawing the subcommands' figures with gnuplot: each figure is a script
// written next to its CSV files (absolute paths inside, so `gnuplot
// DIR/name.gp` redraws it from anywhere), run once if gnuplot is installed.
#pragma once

#include <filesystem>
#include <string>

namespace gomhc::tools {

// text as a gnuplot single-quoted string literal (a quote is doubled).
std::string gnuplot_string(const std::string &text);

// The gnuplot program to run: $GOMHC_GNUPLOT if set (empty or "none" means
// none), else "gnuplot" found on PATH; empty when there is none.
std::string find_gnuplot();

// The script lines that select a width x height PNG terminal: pngcairo where
// gnuplot has it (the better fonts), else the plain png terminal.
std::string png_terminal(int width, int height);

struct PlotResult {
    bool drawn = false;
    std::string message;  // one line for the user: what was written, or how to get the picture
};

// Writes the script and, when gnuplot is available, runs it (its output is
// captured and shown only on failure). Never throws for a missing or failing
// gnuplot; throws std::runtime_error if the script cannot be written.
PlotResult draw_figure(const std::filesystem::path &script, const std::string &text,
                       const std::filesystem::path &png);

}  // namespace gomhc::tools
