package io.comfyvn.compute.workflow;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Turns a job's inputs into the bytes a runner is sent: reads paths and URLs through {@link
 * InputSources}, recognises each file by its first bytes and checks it is what the loaders that
 * name it load (an image for {@code LoadImage}), and bounds the total size.
 */
public final class InputFiles {
  private InputFiles() {}

  /**
   * Every input of the job, in name order.
   *
   * @throws WorkflowException when a file cannot be had or is not what its loader reads
   */
  public static List<InputFile> resolve(WorkflowJob job, InputSources sources, Limits limits) {
    List<InputFile> out = new ArrayList<>();
    long total = 0;
    for (Map.Entry<String, InputSource> e : job.inputs().entrySet()) {
      String name = e.getKey();
      InputSource src = e.getValue();
      long room = Math.min(limits.maxInputBytes(), limits.maxTotalInputBytes() - total);
      byte[] data;
      if (src instanceof InputSource.Inline inline) {
        data = inline.data();
      } else if (src instanceof InputSource.Remote remote) {
        data = sources.remote(name, remote.url(), room);
      } else {
        data = sources.local(name, ((InputSource.Local) src).path(), room);
      }
      total += data.length;
      if (data.length > limits.maxInputBytes() || total > limits.maxTotalInputBytes()) {
        throw WorkflowException.at(
            Problem.INPUT_TOO_LARGE,
            null,
            name,
            "inputs are over "
                + limits.maxTotalInputBytes()
                + " bytes together (or '"
                + name
                + "' over "
                + limits.maxInputBytes()
                + " alone)");
      }
      MediaTypes.Sniffed what =
          MediaTypes.sniff(data)
              .orElseThrow(
                  () ->
                      WorkflowException.at(
                          Problem.WRONG_KIND,
                          null,
                          name,
                          "input '"
                              + name
                              + "' is no image, video or audio format this service recognises"));
      for (InputRef ref : job.inputRefs()) {
        if (ref.name().equals(name) && !MediaTypes.loads(ref.kind(), what)) {
          throw WorkflowException.at(
              Problem.WRONG_KIND,
              ref.nodeId(),
              name,
              "input '"
                  + name
                  + "' is "
                  + what.mime()
                  + ", but "
                  + ref.classType()
                  + " #"
                  + ref.nodeId()
                  + " loads "
                  + ref.kind().wire());
        }
      }
      String sha = HexFormat.of().formatHex(Graph.sha256(data));
      out.add(new InputFile(name, what.kind(), what.mime(), data, sha, src.origin()));
    }
    return out;
  }
}
