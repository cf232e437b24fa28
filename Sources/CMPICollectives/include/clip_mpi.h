// The few MPI calls swift-clip's training makes, as plain C functions: MPI_COMM_WORLD, MPI_FLOAT and
// the other handles are macros over Open MPI's globals, which Swift cannot import.
#ifndef CLIP_MPI_H
#define CLIP_MPI_H
#include <stddef.h>
#include <stdint.h>

/// Initialises MPI (serialised threads) with errors returned rather than fatal; fills this process's rank,
/// the world's size and the number of ranks on this host. Returns an MPI error code (0 on success).
int clip_mpi_init(int *rank, int *size, int *local_size);
/// Whether MPI_Init has run.
int clip_mpi_initialized(void);
/// Sums `count` floats over every rank, in place.
int clip_mpi_allreduce_sum(float *buffer, size_t count);
/// Concatenates every rank's `count` floats, in rank order, into `receive` (size × count floats).
int clip_mpi_allgather(const float *send, size_t count, float *receive);
/// Concatenates every rank's `count` 64-bit integers, in rank order.
int clip_mpi_allgather_int64(const int64_t *send, size_t count, int64_t *receive);
/// Sums size × `count` floats over every rank and leaves block `rank` of the sum in `receive`.
int clip_mpi_reduce_scatter_sum(const float *send, size_t count, float *receive);
/// Sends `count` floats to `destination` while receiving `count` floats from `source`.
int clip_mpi_sendrecv(const float *send, size_t count, int destination, float *receive, int source);
/// Waits until every rank has called it.
int clip_mpi_barrier(void);
/// Ends every rank of the job with `code`.
void clip_mpi_abort(int code);
/// Finalises MPI.
int clip_mpi_finalize(void);
/// The MPI library's version text (callable before MPI_Init), into `buffer`.
void clip_mpi_library_version(char *buffer, size_t capacity);
/// MPI's text for an error code, into `buffer` (at least 512 bytes).
void clip_mpi_error_string(int code, char *buffer, size_t capacity);

#endif
