package io.comfyvn.compute.sim;

/**
 * What the simulator needs to know of a job.
 *
 * @param workUnits its size (see the workflow analysis)
 * @param vramNeededGb the VRAM floor of its workflow, 0 when unknown
 * @param outputs how many files a done job returns
 * @param mime their media type
 * @param runMedianMs a run time the job states ({@code estimated_seconds}), or null to model it
 */
public record SimJob(
    double workUnits, double vramNeededGb, int outputs, String mime, Long runMedianMs) {}
