// Open MPI's C interface (Debian libopenmpi-dev; pkg-config ompi-c gives the include path), and the few
// calls swift-clip's training makes as inline functions: MPI_COMM_WORLD, MPI_FLOAT and the other handles
// are macros over Open MPI's globals, which Swift cannot import.
#ifndef CLIP_MPI_SHIM_H
#define CLIP_MPI_SHIM_H
#include <limits.h>
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// MPI counts are ints; callers split larger transfers.
#define CLIP_MPI_COUNT(count) ((count) > INT_MAX ? -1 : (int)(count))

// Initialises MPI (serialised threads) with errors returned rather than fatal; fills this process's rank,
// the world's size and the number of ranks on this host. Returns an MPI error code (0 on success).
static inline int clip_mpi_init(int *rank, int *size, int *local_size) {
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS) return rc;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if ((rc = MPI_Comm_rank(MPI_COMM_WORLD, rank)) != MPI_SUCCESS) return rc;
    if ((rc = MPI_Comm_size(MPI_COMM_WORLD, size)) != MPI_SUCCESS) return rc;
    MPI_Comm host;
    if ((rc = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host)) != MPI_SUCCESS) return rc;
    rc = MPI_Comm_size(host, local_size);
    MPI_Comm_free(&host);
    return rc;
}

// Sums `count` floats over every rank, in place.
static inline int clip_mpi_allreduce_sum(float *buffer, size_t count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, CLIP_MPI_COUNT(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

// Concatenates every rank's `count` floats, in rank order, into `receive` (size × count floats).
static inline int clip_mpi_allgather(const float *send, size_t count, float *receive) {
    return MPI_Allgather(send, CLIP_MPI_COUNT(count), MPI_FLOAT, receive, CLIP_MPI_COUNT(count), MPI_FLOAT, MPI_COMM_WORLD);
}

// Concatenates every rank's `count` 64-bit integers, in rank order.
static inline int clip_mpi_allgather_int64(const int64_t *send, size_t count, int64_t *receive) {
    return MPI_Allgather(send, CLIP_MPI_COUNT(count), MPI_INT64_T, receive, CLIP_MPI_COUNT(count), MPI_INT64_T, MPI_COMM_WORLD);
}

// Sums size × `count` floats over every rank and leaves block `rank` of the sum in `receive`.
static inline int clip_mpi_reduce_scatter_sum(const float *send, size_t count, float *receive) {
    return MPI_Reduce_scatter_block(send, receive, CLIP_MPI_COUNT(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

// Sends `count` floats to `destination` while receiving `count` floats from `source`.
static inline int clip_mpi_sendrecv(const float *send, size_t count, int destination, float *receive, int source) {
    return MPI_Sendrecv(send, CLIP_MPI_COUNT(count), MPI_FLOAT, destination, 0,
                        receive, CLIP_MPI_COUNT(count), MPI_FLOAT, source, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

// Waits until every rank has called it.
static inline int clip_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

// Ends every rank of the job with `code`.
static inline void clip_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

// Finalises MPI.
static inline int clip_mpi_finalize(void) { return MPI_Finalize(); }

// The MPI library's version text (callable before MPI_Init), into `buffer`.
static inline void clip_mpi_library_version(char *buffer, size_t capacity) {
    char text[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    if (MPI_Get_library_version(text, &length) != MPI_SUCCESS) length = 0;
    text[length < MPI_MAX_LIBRARY_VERSION_STRING ? length : MPI_MAX_LIBRARY_VERSION_STRING - 1] = '\0';
    if (capacity > 0) {
        strncpy(buffer, text, capacity - 1);
        buffer[capacity - 1] = '\0';
    }
}

// MPI's text for an error code, into `buffer` (at least 512 bytes).
static inline void clip_mpi_error_string(int code, char *buffer, size_t capacity) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
    text[length < MPI_MAX_ERROR_STRING ? length : MPI_MAX_ERROR_STRING - 1] = '\0';
    if (capacity > 0) {
        strncpy(buffer, text, capacity - 1);
        buffer[capacity - 1] = '\0';
    }
}

#endif
