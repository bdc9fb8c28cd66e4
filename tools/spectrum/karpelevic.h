// The Karpelevic region Theta_d: the set of all eigenvalues of all d x d
// (row-)stochastic matrices, which contains the eigenvalues of every doubly
// stochastic mixer. Its boundary, in Ito's form of Karpelevic's theorem (as
// stated by Johnson and Paparella, "A matricial view of the Karpelevic
// Theorem", Linear Algebra Appl. 520 (2017)):
//
//   Theta_d lies in the unit disc, is symmetric about the real axis, and meets
//   the unit circle exactly at the points e^{2 pi i p/q}, 0 <= p/q < 1, q <= d.
//   For consecutive fractions p/q < r/s of the Farey sequence F_d, the
//   boundary arc between e^{2 pi i p/q} and e^{2 pi i r/s} is, with
//   q_lo = min(q, s), q_hi = max(q, s) and m = floor(d / q_lo), the path of
//   the root lambda(alpha) of
//
//       lambda^q_hi (lambda^q_lo - (1 - alpha))^m = alpha^m lambda^(q_lo m)
//
//   that starts at the q_hi end (alpha = 1: lambda^q_hi = 1) and ends at the
//   q_lo end (alpha = 0: lambda^q_lo = 1).
//
// The region is star-shaped about 0 (Dmitriev and Dynkin), so it is the area
// inside this closed curve, plus the segment [-1, 1] (which for d = 2 is all
// of it: Theta_2 = [-1, 1]). Theta_3 is the triangle with vertices at the cube
// roots of unity together with [-1, 1].
#pragma once

#include <complex>
#include <vector>

namespace gomhc::tools {

class KarpelevicRegion {
public:
    // d >= 1. Traces every arc with steps of at most max_step in lambda.
    explicit KarpelevicRegion(int d, double max_step = 2e-3);

    int d() const { return d_; }
    // The boundary in the closed upper half plane, from 1 (angle 0) to -1
    // (angle pi) in order of angle; the lower half is its mirror image. Parts
    // that run along the real axis (the spike [-1, x] where an arc ends on the
    // axis before -1) are included as straight segments.
    const std::vector<std::complex<double>> &upper_boundary() const { return upper_; }
    // Whether z lies strictly inside the closed boundary curve (the region
    // without its zero-area parts on the real axis). For d <= 2 nothing does.
    bool contains(std::complex<double> z) const;
    // Whether the region has interior (d >= 3).
    bool has_interior() const { return d_ >= 3; }

private:
    int d_;
    std::vector<std::complex<double>> upper_;
};

// The Farey fractions p/q in [lo, hi] with q <= d in increasing order, as
// (p, q) pairs in lowest terms.
std::vector<std::pair<int, int>> farey_sequence(int d, int lo_num = 0, int lo_den = 1,
                                                int hi_num = 1, int hi_den = 1);

// The Ito polynomial of one arc at alpha: lambda^q_hi (lambda^q_lo - 1 +
// alpha)^m - alpha^m lambda^(q_lo m), m = floor(d / q_lo).
std::complex<double> ito_polynomial(int d, int q_lo, int q_hi, double alpha,
                                    std::complex<double> lambda);

// The fraction of the cells of a cells x cells grid over [-1, 1]^2 whose
// centres lie inside the region that hold at least one added point. For a
// region without interior (d <= 2) the grid is the row of `cells` intervals of
// [-1, 1] on the real axis, and a point counts where |Im| <= 1e-6.
class CoverageGrid {
public:
    CoverageGrid(const KarpelevicRegion &region, int cells = 200);
    void add(std::complex<double> z);
    int region_cells() const { return region_cells_; }
    int hit_cells() const { return hit_cells_; }
    double coverage() const { return region_cells_ ? double(hit_cells_) / region_cells_ : 0; }

private:
    int cells_;
    bool one_dimensional_;
    std::vector<char> inside_;  // per cell: centre inside the region
    std::vector<char> hit_;
    int region_cells_ = 0;
    int hit_cells_ = 0;
};

}  // namespace gomhc::tools
