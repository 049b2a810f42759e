// train/distributed/no_mpi.cpp - openWorld for a build without MPI: one
// process; started by mpirun with several ranks, it says so instead of
// running N independent copies of the same training.
#include "train/distributed/communicator.h"

namespace tapeflow {

bool builtWithMpi() { return false; }

std::shared_ptr<Communicator> openWorld(double) {
  const int n = launchedRanks();
  if (n > 1)
    throw UsageError({}, "", "", "started as one of " + std::to_string(n) +
                                     " ranks, but this tapeflow was built without MPI; "
                                     "rebuild with libopenmpi-dev installed "
                                     "(cmake -DTAPEFLOW_WITH_MPI=ON) or run one process");
  return std::make_shared<SingleProcess>();
}

}  // namespace tapeflow
