package io.comfyvn.compute.workflow;

import io.comfyvn.compute.errors.ComputeException.Kind;
import java.util.Locale;

/**
 * What is wrong with a workflow job, named in the error answer as {@code problem}. Each problem has
 * one HTTP status (through its {@link Kind}) and one error code, so the caller can tell a malformed
 * graph (400) from a well-formed one that cannot run (422) and from one that is too large (413).
 */
public enum Problem {
  /** {@code job.workflow} is not a JSON object. */
  NOT_AN_OBJECT(Kind.BAD_REQUEST, Problem.WORKFLOW),
  /** The UI export ({@code nodes}, {@code links}) instead of the API format. */
  UI_FORMAT(Kind.BAD_REQUEST, Problem.WORKFLOW),
  /** The graph has no nodes. */
  EMPTY(Kind.BAD_REQUEST, Problem.WORKFLOW),
  /** A node id that is not 1 to 64 letters, digits or {@code _ : . -}. */
  BAD_NODE_ID(Kind.BAD_REQUEST, Problem.WORKFLOW),
  /** A node that is not {@code {class_type, inputs}}. */
  NOT_A_NODE(Kind.BAD_REQUEST, Problem.WORKFLOW),
  /** A node without a usable {@code class_type}. */
  NO_CLASS_TYPE(Kind.BAD_REQUEST, Problem.WORKFLOW),
  /** A node whose {@code inputs} is not an object. */
  BAD_INPUTS(Kind.BAD_REQUEST, Problem.WORKFLOW),
  /** An array input that is not a link {@code [node_id, output_index]}. */
  BAD_LINK(Kind.BAD_REQUEST, Problem.WORKFLOW),
  /** {@code job.outputs} is not an array of node ids. */
  BAD_OUTPUTS(Kind.BAD_REQUEST, Problem.WORKFLOW),
  /** A link to a node the graph does not have. */
  DANGLING_LINK(Kind.UNPROCESSABLE, Problem.WORKFLOW),
  /** A node linked to its own output. */
  SELF_LINK(Kind.UNPROCESSABLE, Problem.WORKFLOW),
  /** Links that go round in a circle: ComfyUI could never start them. */
  CYCLE(Kind.UNPROCESSABLE, Problem.WORKFLOW),
  /** No node saves or shows anything, so a run would produce nothing. */
  NO_OUTPUTS(Kind.UNPROCESSABLE, Problem.WORKFLOW),
  /** {@code job.outputs} names a node the graph does not have. */
  UNKNOWN_OUTPUT(Kind.UNPROCESSABLE, Problem.WORKFLOW),
  /** More nodes or more bytes than the service accepts. */
  TOO_LARGE(Kind.TOO_LARGE, "workflow_too_large"),
  /** {@code job.inputs} is not an object of name to file. */
  BAD_INPUT_LIST(Kind.BAD_REQUEST, Problem.INPUT),
  /** An input name that is not a plain file name with an extension. */
  BAD_INPUT_NAME(Kind.BAD_REQUEST, Problem.INPUT),
  /** A file that is none of base64, data URL, https URL or data-folder path. */
  BAD_SOURCE(Kind.BAD_REQUEST, Problem.INPUT),
  /** Text that is not base64. */
  BAD_BASE64(Kind.BAD_REQUEST, Problem.INPUT),
  /** A {@code data:} URL that is not {@code data:<type>;base64,<data>}. */
  BAD_DATA_URL(Kind.BAD_REQUEST, Problem.INPUT),
  /** A URL this service will not fetch (scheme, credentials, private or loopback address). */
  URL_NOT_ALLOWED(Kind.BAD_REQUEST, Problem.INPUT),
  /** A path that leaves the service's {@code data/} folder. */
  PATH_ESCAPE(Kind.BAD_REQUEST, Problem.INPUT),
  /** An input that no loader node of the graph names. */
  UNREFERENCED_INPUT(Kind.UNPROCESSABLE, Problem.INPUT),
  /** A file whose content is not what its loader loads (a video given to LoadImage). */
  WRONG_KIND(Kind.UNPROCESSABLE, Problem.INPUT),
  /** A path under {@code data/} that holds no file. */
  FILE_NOT_FOUND(Kind.UNPROCESSABLE, Problem.INPUT),
  /** A URL that did not answer with the file. */
  FETCH_FAILED(Kind.UNPROCESSABLE, Problem.INPUT),
  /** A file, or all files together, larger than the service accepts. */
  INPUT_TOO_LARGE(Kind.TOO_LARGE, "input_too_large");

  private static final String WORKFLOW = "invalid_workflow";
  private static final String INPUT = "invalid_input";

  private final Kind kind;
  private final String code;

  Problem(Kind kind, String code) {
    this.kind = kind;
    this.code = code;
  }

  /** The error kind, hence the HTTP status. */
  public Kind kind() {
    return kind;
  }

  /** The error code of the answer ({@code invalid_workflow}, {@code invalid_input}, ...). */
  public String code() {
    return code;
  }

  /** The word in answers: {@code dangling_link}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
