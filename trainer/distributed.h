// The processes of a data-parallel run (docs/trainer.md, "Several
// processes"). Started by mpirun, every rank trains its share of each step's
// sequences and the gradients are summed over the ranks: MPI_Allreduce for
// host memory, NCCL for CUDA memory (bootstrapped over MPI). Without mpirun,
// or in a build without MPI, there is one rank and every call is free.
#pragma once

#include <cstdint>
#include <functional>
#include <gomhc/gomhc.hpp>
#include <memory>
#include <stdexcept>
#include <string>

namespace gomhc::trainer {

// An error every rank agreed on (Ranks::agree): each rank holds the same
// message, so rank 0 alone needs to print it.
class AgreedError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Ranks {
public:
    // The process's ranks: MPI's world when mpirun started the process (MPI
    // is initialised on the first call and finalised at exit), else one.
    static Ranks &world();
    // One rank, this process alone, even under mpirun.
    static Ranks &solo();

    ~Ranks();
    Ranks(const Ranks &) = delete;
    Ranks &operator=(const Ranks &) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }
    bool root() const { return rank_ == 0; }
    // The ranks on this machine, to share its cores and GPUs.
    int local_rank() const { return local_rank_; }
    int local_size() const { return local_size_; }

    // Sums a view's floats over the ranks in place, in any device's memory
    // (NCCL on CUDA where built, else through host memory); every rank gets
    // the same bits.
    void sum(const TensorView &values);
    // Sums a few doubles (losses, flags) over the ranks in place.
    void sum(double *values, int count);
    // Whether every rank holds the same value (a checksum of the weights).
    bool same(uint64_t value);
    // Runs `body` on every rank, then the ranks compare: when it threw on
    // any rank, every rank throws AgreedError naming the first rank that
    // failed and its message (with one rank, the error passes unchanged).
    void together(const std::function<void()> &body);
    void barrier();
    // Ends every rank after an error this rank alone met (MPI_Abort); with
    // one rank it returns and the caller exits as usual.
    void abort(int code);

private:
    struct Mpi;
    Ranks(bool use_mpi);
    int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
    std::unique_ptr<Mpi> mpi_;
};

// Whether this build can run several ranks (it found MPI), and with CUDA,
// NCCL; for messages and --help.
bool built_with_mpi();
bool built_with_nccl();

}  // namespace gomhc::trainer
