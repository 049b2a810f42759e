// train/distributed/no_mpi.cpp - openWorld for a build without MPI: one
// process; started by mpirun with several ranks, it says so instead of
// running N independent copies of the same training.
#include "train/distributed/communicator.h"

namespace tapeflow {

bool builtWithMpi() { return false; }

std::shared_ptr<Communicator> openWorld(double) {
  refuseRanksWithoutMpi();
  return std::make_shared<SingleProcess>();
}

}  // namespace tapeflow
