#include "plot/gnuplot.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gomhc::tools {

namespace fs = std::filesystem;

std::string gnuplot_string(const std::string &text) {
    std::string out = "'";
    for (char c : text) {
        out += c;
        if (c == '\'') out += '\'';
    }
    return out + "'";
}

std::string find_gnuplot() {
    if (const char *forced = std::getenv("GOMHC_GNUPLOT")) {
        const std::string program = forced;
        return program == "none" ? "" : program;
    }
    const char *path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const fs::path candidate = fs::path(dir.empty() ? "." : dir) / "gnuplot";
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return "";
}

namespace {

// Runs program with one argument; returns its exit status (-1 if it could
// not be started) and its merged stdout/stderr in *output.
int run_program(const std::string &program, const std::string &argument, std::string *output) {
    int fds[2];
    if (::pipe(fds) != 0) return -1;
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::dup2(fds[1], STDERR_FILENO);
        ::close(fds[0]);
        ::close(fds[1]);
        ::execlp(program.c_str(), program.c_str(), argument.c_str(), static_cast<char *>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    char buffer[4096];
    for (ssize_t got; (got = ::read(fds[0], buffer, sizeof buffer)) != 0;) {
        if (got < 0) {
            if (errno == EINTR) continue;
            break;
        }
        output->append(buffer, size_t(got));
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

PlotResult draw_figure(const fs::path &script, const std::string &text, const fs::path &png) {
    {
        std::ofstream out(script);
        if (!out || !(out << text) || !out.flush()) {
            throw std::runtime_error("cannot write " + script.string());
        }
    }
    PlotResult result;
    const std::string program = find_gnuplot();
    const std::string redraw = "gnuplot " + script.string();
    if (program.empty()) {
        result.message = "gnuplot not found: wrote " + script.string() +
                         "; for the picture: apt-get install gnuplot-nox && " + redraw;
        return result;
    }
    std::error_code ec;
    fs::remove(png, ec);
    std::string output;
    const int status = run_program(program, script.string(), &output);
    if (status == 0 && fs::exists(png)) {
        result.drawn = true;
        result.message = "wrote " + png.string() + " (" + redraw + " redraws it)";
        return result;
    }
    std::string first_lines;
    std::stringstream lines(output);
    std::string line;
    for (int i = 0; i < 6 && std::getline(lines, line); i++) first_lines += "\n  " + line;
    result.message = "gnuplot (" + program + ") failed" +
                     (status == 127 || status < 0 ? std::string(" to start")
                                                  : " with exit status " + std::to_string(status)) +
                     "; the script is " + script.string() + first_lines;
    return result;
}

std::string png_terminal(int width, int height) {
    const std::string size = std::to_string(width) + "," + std::to_string(height);
    return "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
           "    set terminal pngcairo size " +
           size +
           " noenhanced font ',10'\n"
           "} else {\n"
           "    set terminal png size " +
           size + " noenhanced\n}\n";
}

}  // namespace gomhc::tools
