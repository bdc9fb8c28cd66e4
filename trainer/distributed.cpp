#include "distributed.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#if GOMHC_TRAINER_MPI
// MPI's C interface only (the C++ bindings are deprecated and need their
// own library).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif
#if GOMHC_TRAINER_NCCL
#include <cuda_runtime.h>
#include <nccl.h>
#endif

namespace gomhc::trainer {

namespace {

// The largest piece of one MPI call (its counts are int).
constexpr int64_t kMaxPiece = int64_t(1) << 30;

// The number of processes mpirun (OpenMPI, or a PMI launcher) started, 0 when
// none did.
int launched_processes() {
    for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
        if (const char *value = std::getenv(name)) {
            return std::max(1, std::atoi(value));
        }
    }
    return 0;
}

}  // namespace

bool built_with_mpi() { return GOMHC_TRAINER_MPI != 0; }
bool built_with_nccl() { return GOMHC_TRAINER_NCCL != 0; }

struct Ranks::Mpi {
#if GOMHC_TRAINER_MPI
    MPI_Comm comm = MPI_COMM_NULL;
#endif
#if GOMHC_TRAINER_NCCL
    ncclComm_t nccl = nullptr;
#endif
};

Ranks &Ranks::world() {
    static Ranks ranks(launched_processes() > 0);
    return ranks;
}

Ranks &Ranks::solo() {
    static Ranks ranks(false);
    return ranks;
}

Ranks::Ranks(bool use_mpi) {
    if (!use_mpi) {
        return;
    }
#if GOMHC_TRAINER_MPI
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
        MPI_Init(nullptr, nullptr);
    }
    mpi_ = std::make_unique<Mpi>();
    MPI_Comm_dup(MPI_COMM_WORLD, &mpi_->comm);
    MPI_Comm_rank(mpi_->comm, &rank_);
    MPI_Comm_size(mpi_->comm, &size_);
    MPI_Comm local;
    MPI_Comm_split_type(mpi_->comm, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &local_rank_);
    MPI_Comm_size(local, &local_size_);
    MPI_Comm_free(&local);
#else
    if (launched_processes() > 1) {
        throw Error("mpirun started " + std::to_string(launched_processes()) +
                    " processes, but this build of gomhc has no MPI: install libopenmpi-dev "
                    "and openmpi-bin and build again (docs/trainer.md, \"Several processes\")");
    }
#endif
}

Ranks::~Ranks() {
#if GOMHC_TRAINER_MPI
    if (!mpi_) {
        return;
    }
#if GOMHC_TRAINER_NCCL
    if (mpi_->nccl) {
        ncclCommDestroy(mpi_->nccl);
    }
#endif
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (!finalised) {
        MPI_Comm_free(&mpi_->comm);
        MPI_Finalize();
    }
#endif
}

void Ranks::sum(const TensorView &values) {
    const int64_t count = values.size();
    if (size_ == 1 || count == 0) {
        return;
    }
#if GOMHC_TRAINER_MPI
#if GOMHC_TRAINER_NCCL
    if (values.device() == Device::cuda) {
        if (!mpi_->nccl) {
            ncclUniqueId id{};
            if (root() && ncclGetUniqueId(&id) != ncclSuccess) {
                throw Error("NCCL: ncclGetUniqueId failed");
            }
            MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, mpi_->comm);
            const ncclResult_t made = ncclCommInitRank(&mpi_->nccl, size_, id, rank_);
            if (made != ncclSuccess) {
                throw Error(std::string("NCCL: ncclCommInitRank failed: ") +
                            ncclGetErrorString(made));
            }
        }
        // The default stream, the one gomhc's kernels and cuBLAS run on.
        float *data = const_cast<float *>(values.data());
        const ncclResult_t done =
            ncclAllReduce(data, data, size_t(count), ncclFloat, ncclSum, mpi_->nccl, nullptr);
        if (done != ncclSuccess || cudaStreamSynchronize(nullptr) != cudaSuccess) {
            throw Error(std::string("NCCL: ncclAllReduce failed: ") + ncclGetErrorString(done));
        }
        return;
    }
#endif
    if (values.device() != Device::host) {
        // Through host memory.
        std::vector<float> host(static_cast<size_t>(count));
        download(values, host.data());
        sum(TensorView::host(host.data(), {count}));
        upload(host.data(), values);
        return;
    }
    float *data = const_cast<float *>(values.data());
    for (int64_t first = 0; first < count; first += kMaxPiece) {
        const int piece = int(std::min(kMaxPiece, count - first));
        MPI_Allreduce(MPI_IN_PLACE, data + first, piece, MPI_FLOAT, MPI_SUM, mpi_->comm);
    }
#endif
}

void Ranks::sum(double *values, int count) {
    if (size_ == 1) {
        return;
    }
#if GOMHC_TRAINER_MPI
    MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, mpi_->comm);
#else
    (void)values;
    (void)count;
#endif
}

bool Ranks::same(uint64_t value) {
    if (size_ == 1) {
        return true;
    }
#if GOMHC_TRAINER_MPI
    uint64_t low = value, high = value;
    MPI_Allreduce(MPI_IN_PLACE, &low, 1, MPI_UINT64_T, MPI_MIN, mpi_->comm);
    MPI_Allreduce(MPI_IN_PLACE, &high, 1, MPI_UINT64_T, MPI_MAX, mpi_->comm);
    return low == high;
#else
    return true;
#endif
}

void Ranks::together(const std::function<void()> &body) {
    if (size_ == 1) {
        body();
        return;
    }
    std::string error;
    try {
        body();
    } catch (const std::exception &e) {
        error = *e.what() ? e.what() : "an error without a message";
    }
#if GOMHC_TRAINER_MPI
    int first = error.empty() ? size_ : rank_;
    MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, mpi_->comm);
    if (first == size_) {
        return;
    }
    int64_t length = int64_t(error.size());
    MPI_Bcast(&length, 1, MPI_INT64_T, first, mpi_->comm);
    std::string message = rank_ == first ? error : std::string(size_t(length), ' ');
    MPI_Bcast(message.data(), int(length), MPI_CHAR, first, mpi_->comm);
    throw AgreedError("rank " + std::to_string(first) + " of " + std::to_string(size_) + ": " +
                      message);
#endif
}

void Ranks::barrier() {
#if GOMHC_TRAINER_MPI
    if (size_ > 1) {
        MPI_Barrier(mpi_->comm);
    }
#endif
}

void Ranks::abort(int code) {
#if GOMHC_TRAINER_MPI
    if (size_ > 1) {
        MPI_Abort(mpi_->comm, code);
    }
#endif
    (void)code;
}

}  // namespace gomhc::trainer
