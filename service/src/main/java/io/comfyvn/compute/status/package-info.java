/**
 * The words every room shares: a task's status, a call's mode, a create's submit state. A leaf: it
 * depends on nothing else in the service, so provider packages, the simulator and the task registry
 * can all speak the same vocabulary without importing one another.
 */
package io.comfyvn.compute.status;
