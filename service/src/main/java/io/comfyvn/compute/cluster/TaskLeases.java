package io.comfyvn.compute.cluster;

/**
 * Who follows a live task: exactly one instance at a time holds a task's lease, and only the holder
 * polls it. A lease not renewed (the instance died or lost the store) expires and another instance
 * takes the task over.
 */
public interface TaskLeases {

  /** Takes the task's lease if nobody else holds a live one; true when this instance holds it. */
  boolean claim(String taskId);

  /** Whether this instance holds the task's lease now (checked before every poll). */
  boolean holds(String taskId);

  /** Gives the lease up (the task is finished). */
  void release(String taskId);

  /** One instance alone: it holds every lease (unit tests of the tracker). */
  TaskLeases SOLE =
      new TaskLeases() {
        @Override
        public boolean claim(String taskId) {
          return true;
        }

        @Override
        public boolean holds(String taskId) {
          return true;
        }

        @Override
        public void release(String taskId) {}
      };
}
