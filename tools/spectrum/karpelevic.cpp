#include "spectrum/karpelevic.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace gomhc::tools {
namespace {

using Complex = std::complex<double>;
const double kPi = 3.14159265358979323846;

Complex root_of_unity(int p, int q) { return std::polar(1.0, 2 * kPi * p / q); }

// The Ito polynomial and its derivative in lambda.
void ito_value(int d, int q_lo, int q_hi, double alpha, Complex z, Complex *f, Complex *df) {
    const int m = d / q_lo;
    const double beta = 1 - alpha;
    const Complex zlo = std::pow(z, q_lo), zhi = std::pow(z, q_hi);
    const Complex base = zlo - beta;
    const Complex base_m = std::pow(base, m);
    const Complex base_m1 = m >= 1 ? std::pow(base, m - 1) : Complex(0);
    const double am = std::pow(alpha, m);
    const Complex zlom = std::pow(z, q_lo * m);
    *f = zhi * base_m - am * zlom;
    // d/dz: q_hi z^(q_hi-1) base^m + z^q_hi m base^(m-1) q_lo z^(q_lo-1) - alpha^m q_lo m z^(q_lo m
    // - 1)
    *df = double(q_hi) * std::pow(z, q_hi - 1) * base_m +
          zhi * double(m) * base_m1 * double(q_lo) * std::pow(z, q_lo - 1) -
          am * double(q_lo * m) * std::pow(z, q_lo * m - 1);
}

// Follows the root of the arc's Ito polynomial from `start` (alpha = 1) to
// `end` (alpha = 0) by Newton continuation in alpha, with steps that move
// lambda by at most max_step. Where the path reaches the real axis before
// `end` (only arcs ending at 1 or -1 can), it continues along the axis.
std::vector<Complex> trace_arc(int d, int q_lo, int q_hi, Complex start, Complex end,
                               double max_step) {
    std::vector<Complex> path{start};
    Complex z = start, velocity = 0;  // d lambda / d alpha, for the predictor
    double alpha = 1, h = 1e-3;
    const bool end_real = end.imag() == 0;
    while (alpha > 0) {
        if (std::abs(z - end) <= max_step) break;
        if (end_real && z.imag() <= max_step / 4) {  // on the axis: straight on to the end
            path.push_back(Complex(z.real(), 0));
            break;
        }
        h = std::min(h, alpha);
        const double next_alpha = h == alpha ? 0 : alpha - h;
        Complex w = z - velocity * h, f, df;
        bool converged = false;
        for (int it = 0; it < 100 && !converged; it++) {
            ito_value(d, q_lo, q_hi, next_alpha, w, &f, &df);
            if (df == Complex(0)) break;
            const Complex step = f / df;
            w -= step;
            converged = std::abs(step) <= 1e-13 * (1 + std::abs(w));
        }
        if (!converged || std::abs(w - z) > max_step || w.imag() < -max_step / 4) {
            h /= 2;
            if (h < 1e-16) {
                if (end_real) {  // stuck at a collision on the axis
                    path.push_back(Complex(z.real(), 0));
                    break;
                }
                throw std::runtime_error("Karpelevic arc tracing failed (d = " + std::to_string(d) +
                                         ")");
            }
            continue;
        }
        velocity = (z - w) / h;
        z = w;
        alpha = next_alpha;
        path.push_back(z);
        h *= 1.5;
    }
    path.push_back(end);
    return path;
}

}  // namespace

std::vector<std::pair<int, int>> farey_sequence(int d, int lo_num, int lo_den, int hi_num,
                                                int hi_den) {
    std::vector<std::pair<int, int>> out;
    for (int q = 1; q <= d; q++) {
        for (int p = 0; p <= q; p++) {
            if (std::gcd(p, q) != 1) continue;
            // lo <= p/q <= hi, compared exactly
            if (int64_t(p) * lo_den < int64_t(lo_num) * q) continue;
            if (int64_t(p) * hi_den > int64_t(hi_num) * q) continue;
            out.push_back({p, q});
        }
    }
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) {
        return int64_t(a.first) * b.second < int64_t(b.first) * a.second;
    });
    return out;
}

Complex ito_polynomial(int d, int q_lo, int q_hi, double alpha, Complex lambda) {
    Complex f, df;
    ito_value(d, q_lo, q_hi, alpha, lambda, &f, &df);
    return f;
}

KarpelevicRegion::KarpelevicRegion(int d, double max_step) : d_(d) {
    if (d < 1) throw std::invalid_argument("Karpelevic region: d must be >= 1");
    if (d == 1) {
        upper_ = {Complex(1, 0)};
        return;
    }
    // Arcs between consecutive Farey fractions in [0, 1/2], in angle order.
    const auto fractions = farey_sequence(d, 0, 1, 1, 2);
    upper_.push_back(Complex(1, 0));
    for (size_t k = 0; k + 1 < fractions.size(); k++) {
        const auto [p, q] = fractions[k];
        const auto [r, s] = fractions[k + 1];
        const Complex a = root_of_unity(p, q), b = root_of_unity(r, s);
        // Traced from the end with the larger denominator.
        std::vector<Complex> arc =
            q > s ? trace_arc(d, s, q, a, b, max_step) : trace_arc(d, q, s, b, a, max_step);
        if (q <= s) std::reverse(arc.begin(), arc.end());  // now from a to b
        upper_.insert(upper_.end(), arc.begin() + 1, arc.end());
    }
}

bool KarpelevicRegion::contains(Complex z) const {
    if (d_ <= 2) return false;
    const double x = z.real();
    double y = std::abs(z.imag());
    if (y == 0) y = 1e-300;
    // Even-odd rule on the closed curve: upper boundary from 1 to -1, then
    // back along the real axis (the lower half mirrors it).
    bool inside = false;
    const size_t n = upper_.size();
    for (size_t i = 0; i < n; i++) {
        const Complex a = upper_[i], b = i + 1 < n ? upper_[i + 1] : upper_[0];
        if ((a.imag() > y) != (b.imag() > y)) {
            const double cross =
                a.real() + (y - a.imag()) * (b.real() - a.real()) / (b.imag() - a.imag());
            if (x < cross) inside = !inside;
        }
    }
    return inside;
}

CoverageGrid::CoverageGrid(const KarpelevicRegion &region, int cells)
    : cells_(cells), one_dimensional_(!region.has_interior()) {
    if (cells < 1) throw std::invalid_argument("coverage grid: cells must be >= 1");
    const double w = 2.0 / cells;
    if (one_dimensional_) {
        inside_.assign(cells, 1);
        hit_.assign(cells, 0);
        region_cells_ = region.d() >= 2 ? cells : 0;
        return;
    }
    inside_.assign(size_t(cells) * cells, 0);
    hit_.assign(size_t(cells) * cells, 0);
    for (int iy = 0; iy < cells; iy++) {
        for (int ix = 0; ix < cells; ix++) {
            const Complex centre(-1 + (ix + 0.5) * w, -1 + (iy + 0.5) * w);
            if (region.contains(centre)) {
                inside_[size_t(iy) * cells + ix] = 1;
                region_cells_++;
            }
        }
    }
}

void CoverageGrid::add(Complex z) {
    auto index = [&](double v) {
        // Points up to 1e-4 cells outside [-1, 1] (rounding: the eigenvalue 1
        // of a float32 mixer may come out as 1.0000001) go to the edge cell.
        const double t = (v + 1) / 2 * cells_;
        if (!(t >= -1e-4 && t <= cells_ + 1e-4)) return -1;  // outside (or NaN)
        return std::clamp(int(t), 0, cells_ - 1);
    };
    const int ix = index(z.real());
    if (ix < 0) return;
    size_t cell;
    if (one_dimensional_) {
        if (std::abs(z.imag()) > 1e-6) return;
        cell = ix;
    } else {
        const int iy = index(z.imag());
        if (iy < 0) return;
        cell = size_t(iy) * cells_ + ix;
    }
    if (inside_[cell] && !hit_[cell] && region_cells_ > 0) {
        hit_[cell] = 1;
        hit_cells_++;
    }
}

}  // namespace gomhc::tools
