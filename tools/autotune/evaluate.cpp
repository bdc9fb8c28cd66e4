#include "evaluate.h"

#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace gomhc::autotune {

const char *status_name(Measurement::Status status) {
    switch (status) {
        case Measurement::Status::ok:
            return "ok";
        case Measurement::Status::wrong:
            return "wrong";
        case Measurement::Status::failed:
            return "failed";
        case Measurement::Status::crashed:
            return "crashed";
        case Measurement::Status::timed_out:
            return "timed_out";
    }
    return "failed";
}

Measurement::Status parse_status(const std::string &name) {
    for (auto s : {Measurement::Status::ok, Measurement::Status::wrong, Measurement::Status::failed,
                   Measurement::Status::crashed, Measurement::Status::timed_out}) {
        if (name == status_name(s)) {
            return s;
        }
    }
    throw std::invalid_argument("unknown status '" + name + "'");
}

namespace {

// Halide 14 lets only subclasses call GeneratorBase::build_pipeline(). A
// pointer to the member, taken inside a subclass, may be used on any
// generator (and still dispatches virtually); no object of this class exists.
struct PipelineBuilder : Halide::Internal::GeneratorBase {
    static Halide::Pipeline build(Halide::Internal::GeneratorBase &generator) {
        Halide::Pipeline (Halide::Internal::GeneratorBase::*method)() =
            &PipelineBuilder::build_pipeline;
        return (generator.*method)();
    }
};

// The directory of the libHalide this process loaded.
std::filesystem::path loaded_halide_dir() {
    std::filesystem::path found;
    dl_iterate_phdr(
        [](dl_phdr_info *info, size_t, void *out) {
            const std::filesystem::path path = info->dlpi_name ? info->dlpi_name : "";
            // libHalide.so, or Debian's libHalide14.so.0
            const std::string name = path.filename().string();
            if (name.rfind("libHalide", 0) == 0 && name.find(".so") != std::string::npos) {
                *static_cast<std::filesystem::path *>(out) = path.parent_path();
                return 1;
            }
            return 0;
        },
        &found);
    return found;
}

// An autoscheduler plugin lies where it lay relative to libHalide at build
// time (halide14/ beside it on Debian), so an installed gomhc finds the
// plugins of the Halide it runs with, wherever that is installed; the
// build's absolute path is the fallback.
std::string plugin_path(const std::string &autoscheduler) {
    std::filesystem::path built;
    if (autoscheduler == "Adams2019") {
        built = GOMHC_ADAMS2019_PLUGIN;
    } else if (autoscheduler == "Mullapudi2016") {
        built = GOMHC_MULLAPUDI2016_PLUGIN;
    } else {
        throw std::invalid_argument("unknown autoscheduler '" + autoscheduler + "'");
    }
    const std::filesystem::path relative = built.lexically_relative(GOMHC_HALIDE_LIBRARY_DIR);
    const std::filesystem::path halide_dir = loaded_halide_dir();
    if (!relative.empty() && !halide_dir.empty() &&
        std::filesystem::exists(halide_dir / relative)) {
        return (halide_dir / relative).string();
    }
    if (std::filesystem::exists(built)) {
        return built.string();
    }
    throw std::runtime_error("the Halide " + autoscheduler +
                             " autoscheduler plugin is neither at " +
                             (halide_dir / relative).string() +
                             " (beside the libHalide in use) nor at " + built.string());
}

}  // namespace

Measurement measure(TuningCase &tuning_case, const Candidate &candidate,
                    const Halide::Target &target, const Timing &timing) {
    Measurement m;
    try {
        auto generator = Halide::Internal::GeneratorRegistry::create(
            tuning_case.op(), Halide::GeneratorContext(target));
        Halide::Internal::GeneratorParamsMap params;
        for (const auto &[name, value] : tuning_case.shape_params()) {
            params[name] = value;
        }
        std::string autoscheduler;
        for (const auto &[name, value] : candidate.params) {
            if (name == "autoscheduler") {
                autoscheduler = value;
                params["auto_schedule"] = "true";
            } else {
                params[name] = value;
            }
        }
        generator->set_generator_param_values(params);
        tuning_case.bind_inputs(*generator);
        Halide::Pipeline pipeline = PipelineBuilder::build(*generator);
        if (!autoscheduler.empty()) {
            Halide::load_plugin(plugin_path(autoscheduler));
            pipeline.auto_schedule(autoscheduler, target, Halide::MachineParams::generic());
        }
        pipeline.compile_jit(target);
        Halide::Realization outputs(tuning_case.outputs());
        pipeline.realize(outputs, target);  // first run: warm caches and pages
        if (std::string why = tuning_case.check_outputs(); !why.empty()) {
            m.status = Measurement::Status::wrong;
            m.detail = why;
            return m;
        }
        std::vector<double> ms;
        const auto start = std::chrono::steady_clock::now();
        while (int(ms.size()) < timing.min_runs ||
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
                   timing.min_seconds) {
            const auto t0 = std::chrono::steady_clock::now();
            pipeline.realize(outputs, target);
            ms.push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count());
        }
        std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
        m.status = Measurement::Status::ok;
        m.median_ms = ms[ms.size() / 2];
    } catch (const std::exception &e) {
        m.status = Measurement::Status::failed;
        m.detail = e.what();
    }
    return m;
}

Measurement measure_isolated(TuningCase &tuning_case, const Candidate &candidate,
                             const Halide::Target &target, const Timing &timing) {
    int fds[2];
    if (pipe(fds) != 0) {
        return {Measurement::Status::failed, 0, std::string("pipe: ") + std::strerror(errno)};
    }
    const pid_t child = fork();
    if (child < 0) {
        close(fds[0]);
        close(fds[1]);
        return {Measurement::Status::failed, 0, std::string("fork: ") + std::strerror(errno)};
    }
    if (child == 0) {
        close(fds[0]);
        // The child reports through the pipe; what Halide and the
        // autoschedulers print would only garble the parent's progress lines.
        if (int devnull = open("/dev/null", O_WRONLY); devnull >= 0) {
            dup2(devnull, STDOUT_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        Measurement m = measure(tuning_case, candidate, target, timing);
        std::ostringstream out;
        out << status_name(m.status) << '\n' << m.median_ms << '\n' << m.detail;
        const std::string text = out.str();
        for (size_t done = 0; done < text.size();) {
            ssize_t wrote = write(fds[1], text.data() + done, text.size() - done);
            if (wrote <= 0) break;
            done += size_t(wrote);
        }
        _exit(0);
    }
    close(fds[1]);
    std::string text;
    char chunk[4096];
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(timing.timeout_seconds);
    bool timed_out = false;
    for (;;) {
        const double left =
            std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        if (poll(&p, 1, int(std::min(left, 1.0) * 1000)) <= 0) {
            continue;
        }
        const ssize_t got = read(fds[0], chunk, sizeof chunk);
        if (got <= 0) {
            break;  // the child closed the pipe: done or dead
        }
        text.append(chunk, size_t(got));
    }
    close(fds[0]);
    if (timed_out) {
        kill(child, SIGKILL);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (timed_out) {
        return {Measurement::Status::timed_out, 0,
                "no result within " + std::to_string(int(timing.timeout_seconds)) + " s"};
    }
    if (WIFSIGNALED(status) || text.empty()) {
        return {Measurement::Status::crashed, 0,
                WIFSIGNALED(status) ? std::string("killed by signal ") + strsignal(WTERMSIG(status))
                                    : std::string("exited without a result")};
    }
    std::istringstream in(text);
    std::string status_line, detail;
    Measurement m;
    std::getline(in, status_line);
    in >> m.median_ms;
    in.ignore(1);
    std::getline(in, detail, '\0');
    m.status = parse_status(status_line);
    m.detail = detail;
    return m;
}

}  // namespace gomhc::autotune
