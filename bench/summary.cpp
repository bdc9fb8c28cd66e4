// gomhc_bench: The summary table printed after the run.
#include "bench.h"

namespace gomhc_bench {

// ---------------------------------------------------------------------------
// Summary.

std::string fixed(double v, int digits) {
    if (v < 0) {
        return "-";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string si(double v) {
    char buf[64];
    if (v >= 1e9) {
        std::snprintf(buf, sizeof buf, "%.2fG", v * 1e-9);
    } else if (v >= 1e6) {
        std::snprintf(buf, sizeof buf, "%.2fM", v * 1e-6);
    } else if (v >= 1e3) {
        std::snprintf(buf, sizeof buf, "%.2fk", v * 1e-3);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f", v);
    }
    return buf;
}

double largest_cache() {
    double largest = 0;
    for (const auto &c : benchmark::CPUInfo::Get().caches) {
        largest = std::max(largest, double(c.size));
    }
    return largest;
}

std::string load_average() {
    std::FILE *f = std::fopen("/proc/loadavg", "r");
    if (f == nullptr) {
        return "unknown";
    }
    char buf[128] = {0};
    const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
    std::fclose(f);
    std::string text = ok ? std::string(buf) : std::string("unknown");
    // The first three fields: 1, 5 and 15 minute averages.
    size_t end = 0;
    for (int field = 0; field < 3 && end != std::string::npos; ++field) {
        end = text.find(' ', end + (field > 0 ? 1 : 0));
    }
    return text.substr(0, end);
}

Result summary_result(std::vector<Result> calls) {
    std::sort(calls.begin(), calls.end(),
              [](const Result &a, const Result &b) { return a.tokens_per_s < b.tokens_per_s; });
    Result r = calls[(calls.size() - 1) / 2];
    if (r.failed || r.bw_fraction < 0) {
        return r;
    }
    const bool cuda = r.backend == "cuda";
    const double bandwidth = cuda ? g_machine.cuda_copy_bw : g_machine.triad_bw;
    const double peak = cuda ? 0.0 : g_machine.fma_all;
    if (bandwidth > 0) {
        set_roof_fractions(r, bandwidth, peak);
    }
    return r;
}

int max_repetitions() {
    size_t most = 1;
    for (const auto &entry : g_results) {
        most = std::max(most, entry.second.size());
    }
    return int(most);
}

void print_summary() {
    const int repetitions = max_repetitions();
    std::printf("\n== gomhc_bench summary (%d kernel threads%s) ==\n", kernel_threads(),
                repetitions > 1 ? ", each row the median of its repetitions" : "");
    std::printf("load average now    %s   (other work on the machine skews every number)\n",
                load_average().c_str());
    if (g_machine.copy_bw > 0) {
        std::printf("copy bandwidth      %8.2f GB/s\n", g_machine.copy_bw * 1e-9);
    }
    if (g_machine.triad_bw > 0) {
        std::printf("triad bandwidth     %8.2f GB/s%s   (roofline memory roof)\n",
                    g_machine.triad_bw * 1e-9, g_machine.quick_triad ? " (quick)" : "");
    }
    if (g_machine.fma_core > 0) {
        std::printf("FMA peak, 1 thread  %8.2f GFLOP/s (%s)\n", g_machine.fma_core * 1e-9,
                    use_avx2_fma() ? "avx2+fma" : "scalar");
    }
    if (g_machine.fma_all > 0) {
        std::printf("FMA peak, %d threads %8.2f GFLOP/s%s   (roofline compute roof)\n",
                    kernel_threads(), g_machine.fma_all * 1e-9,
                    g_machine.quick_fma ? " (quick)" : "");
    }
    if (g_machine.fma_core > 0 && g_machine.fma_all > 0 && kernel_threads() > 1 &&
        g_machine.fma_all < 0.75 * kernel_threads() * g_machine.fma_core) {
        std::printf(
            "WARNING: %d threads reached only %.2fx the one-thread FMA rate: the kernel "
            "threads did not\n         get a core each (other load, or SMT siblings). "
            "Rerun on an idle machine.\n",
            kernel_threads(), g_machine.fma_all / g_machine.fma_core);
    }
    if (g_machine.cuda_copy_bw > 0) {
        std::printf("CUDA d2d copy       %8.2f GB/s   (CUDA roofline memory roof)\n",
                    g_machine.cuda_copy_bw * 1e-9);
    }
    std::printf("CUDA                %s\n\n", g_cuda_status.c_str());
    const double cache = largest_cache();
    std::printf("%-26s %-8s %-18s %10s %8s %9s %7s %9s %8s %8s  %s\n", "op", "backend", "shape",
                "tokens/s", "GB/s", "GFLOP/s", "bw_frac", "roofline", "x_ref", "ws_MB", "notes");
    std::string last_op;
    for (const std::string &name : g_result_order) {
        const Result r = summary_result(g_results[name]);
        if (!last_op.empty() && r.op != last_op) {
            std::printf("\n");
        }
        last_op = r.op;
        if (r.failed) {
            std::printf("%-26s %-8s %-18s FAILED: %s\n", r.op.c_str(), r.backend.c_str(),
                        r.shape.c_str(), r.error.c_str());
            continue;
        }
        std::string notes = r.label;
        if (r.backend == "cpu" && cache > 0 && r.working_set > 0 && r.working_set < cache) {
            notes += notes.empty() ? "in cache" : ", in cache";
        }
        std::printf("%-26s %-8s %-18s %10s %8.2f %9.2f %7s %9s %8s %8s  %s\n", r.op.c_str(),
                    r.backend.c_str(), r.shape.c_str(), si(r.tokens_per_s).c_str(), r.gb_per_s,
                    r.gflop_per_s, fixed(r.bw_fraction, 3).c_str(),
                    fixed(r.roofline_fraction, 3).c_str(), fixed(r.x_ref, 1).c_str(),
                    r.working_set > 0 ? fixed(r.working_set * 1e-6, 1).c_str() : "-",
                    notes.c_str());
    }
    std::printf(
        "\nGB/s counts every input read once and every output written once (q twice "
        "in cayley+projection);\nroofline = max(bytes/triad, flops/FMA peak) / "
        "measured time; x_ref = tokens/s over the float64 reference.\n"
        "ws_MB = bytes of all tensors of one call; \"in cache\" rows fit in the largest "
        "cache (%.0f MiB),\nso they can beat the DRAM triad roof (bw_frac > 1): their roof is "
        "compute or cache bandwidth.\n",
        cache / (1024.0 * 1024.0));
}

}  // namespace gomhc_bench
