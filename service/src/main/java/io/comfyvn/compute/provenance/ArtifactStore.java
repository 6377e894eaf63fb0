package io.comfyvn.compute.provenance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Stores a job's outputs under {@code data/artifacts/<task>/} and writes a provenance sidecar
 * {@code <file>.prov.json} beside each: tool, version, provider, provider job id, seed, workflow
 * hash, pov, sha256, bytes, cost and timestamps, in ComfyVN's {@code {"provenance": {...}}} shape.
 */
public final class ArtifactStore {
  /** The artifacts folder, relative to the home folder. */
  public static final String ARTIFACTS_DIR = "data/artifacts";

  /** A provenance sidecar's name is its file's name plus this. */
  public static final String SIDECAR_SUFFIX = ".prov.json";

  private static final long MAX_BYTES = 256L * 1024 * 1024;
  private final Path home;
  private final Path root;
  private final ObjectMapper mapper;
  private final Clock clock;
  private final String version;
  private final Fetcher fetcher;

  /**
   * Fetches one output URL (http or https; the store refuses other schemes before asking). Injected
   * so tests hold the network in their hand.
   */
  @FunctionalInterface
  public interface Fetcher {
    /**
     * @throws IOException when there is no usable answer (its message names no secret)
     */
    Fetched fetch(URI uri) throws IOException;
  }

  /**
   * Fetched bytes.
   *
   * @param bytes the body
   * @param mime its media type, or null when unknown (sniffed then)
   */
  public record Fetched(byte[] bytes, String mime) {}

  /** Outputs under the home's {@code data/artifacts/}, fetched over HTTP. */
  public ArtifactStore(Path home, ObjectMapper mapper, Clock clock, String version) {
    this(home, null, mapper, clock, version, new HttpFetcher());
  }

  /** Outputs under the home's {@code data/artifacts/}, fetched by {@code fetcher}. */
  public ArtifactStore(
      Path home, ObjectMapper mapper, Clock clock, String version, Fetcher fetcher) {
    this(home, null, mapper, clock, version, fetcher);
  }

  /** Outputs under {@code root} (see below), fetched over HTTP. */
  public ArtifactStore(Path home, Path root, ObjectMapper mapper, Clock clock, String version) {
    this(home, root, mapper, clock, version, new HttpFetcher());
  }

  /**
   * Outputs under {@code root} ({@code artifacts.dir}: a folder every instance sharing a store can
   * read, mounted at the same path on each), or the home's {@code data/artifacts/} when null. A
   * stored artifact's path is relative to the home when under it, else absolute, so every instance
   * answers the same path for it.
   *
   * @param fetcher fetches output URLs (the service's follows redirects, 256 MB at most per file)
   */
  public ArtifactStore(
      Path home, Path root, ObjectMapper mapper, Clock clock, String version, Fetcher fetcher) {
    this.home = home;
    this.root =
        root == null
            ? home.resolve(ARTIFACTS_DIR)
            : home.resolve(root).toAbsolutePath().normalize();
    this.mapper = mapper;
    this.clock = clock;
    this.version = version;
    this.fetcher = fetcher;
  }

  /**
   * One output to store.
   *
   * @param name a suggested file name, or null
   * @param url where to fetch it (http/https), or null
   * @param base64 inline bytes (plain base64 or a data: URI), or null
   * @param mime media type when known
   */
  public record Download(String name, String url, String base64, String mime) {}

  /**
   * Where a job's outputs came from.
   *
   * @param taskId our task id
   * @param provider provider slug
   * @param providerJobId the provider's job id
   * @param seed the job's seed
   * @param workflowHash sha256 of the graph sent (a workflow job), else of the job's canonical JSON
   * @param pov the job's point of view, when given
   * @param costUsd the cost estimate, when known
   * @param submittedAt when the job was submitted (ISO)
   * @param inputs a workflow job's input files: name -> sha256 (empty otherwise)
   * @param runner what ran the workflow (e.g. {@code Comfy API v2}), or null
   */
  public record Origin(
      String taskId,
      String provider,
      String providerJobId,
      long seed,
      String workflowHash,
      String pov,
      Double costUsd,
      String submittedAt,
      Map<String, String> inputs,
      String runner) {
    public Origin {
      inputs = inputs == null ? Map.of() : Map.copyOf(new TreeMap<>(inputs));
    }

    /** Where a job that is not a workflow job came from. */
    public Origin(
        String taskId,
        String provider,
        String providerJobId,
        long seed,
        String workflowHash,
        String pov,
        Double costUsd,
        String submittedAt) {
      this(
          taskId,
          provider,
          providerJobId,
          seed,
          workflowHash,
          pov,
          costUsd,
          submittedAt,
          null,
          null);
    }
  }

  /**
   * A stored artifact.
   *
   * @param name file name
   * @param path path relative to the home folder
   * @param url the source URL, when it came from one
   * @param mime media type
   * @param sha256 hex digest
   * @param bytes size
   */
  public record Saved(
      String name, String path, String url, String mime, String sha256, long bytes) {}

  /** Stores every output; one that cannot be fetched is reported in the returned problems. */
  public Result save(Origin origin, List<Download> downloads) {
    Path dir = root.resolve(safe(origin.taskId()));
    List<Saved> saved = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    int i = 0;
    for (Download d : downloads) {
      i++;
      try {
        Fetched f = fetch(d);
        String name = fileName(d, f.mime(), i);
        Path file = dir.resolve(name);
        // a temp file of its own: two saves of one output at once can never write into one file
        Path tmp = Files.createTempFile(dir, name + ".", ".part");
        try {
          Files.write(tmp, f.bytes());
          Files.move(
              tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          Files.deleteIfExists(tmp);
        }
        String sha = sha256(f.bytes());
        writeSidecar(file, origin, d, f, sha);
        saved.add(new Saved(name, shown(file), d.url(), f.mime(), sha, f.bytes().length));
      } catch (IOException | RuntimeException e) {
        problems.add("output " + i + ": " + e.getMessage());
      }
    }
    return new Result(saved, problems);
  }

  private String shown(Path file) {
    Path absolute = file.toAbsolutePath().normalize();
    Path base = home.toAbsolutePath().normalize();
    return absolute.startsWith(base) ? base.relativize(absolute).toString() : absolute.toString();
  }

  /**
   * What {@link #save} did.
   *
   * @param saved the stored artifacts
   * @param problems one line per output that could not be stored
   */
  public record Result(List<Saved> saved, List<String> problems) {}

  private Fetched fetch(Download d) throws IOException {
    if (d.base64() != null) {
      String b = d.base64();
      String mime = d.mime();
      if (b.startsWith("data:")) {
        int comma = b.indexOf(',');
        if (comma < 0) {
          throw new IOException("malformed data URI");
        }
        String head = b.substring(5, comma);
        mime = head.contains(";") ? head.substring(0, head.indexOf(';')) : head;
        b = b.substring(comma + 1);
      }
      byte[] bytes = Base64.getMimeDecoder().decode(b);
      return new Fetched(bytes, mime == null || mime.isBlank() ? sniff(bytes) : mime);
    }
    if (d.url() == null) {
      throw new IOException("no URL and no data");
    }
    URI uri = URI.create(d.url());
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IOException("only http and https URLs are fetched");
    }
    Fetched f = fetcher.fetch(uri);
    String mime = f.mime() != null ? f.mime() : d.mime();
    return new Fetched(f.bytes(), mime == null ? sniff(f.bytes()) : mime);
  }

  /** The service's fetcher: the JDK client, redirects followed, a size bound. */
  static final class HttpFetcher implements Fetcher {
    private final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade to a ComfyUI box's /view
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();

    @Override
    public Fetched fetch(URI uri) throws IOException {
      try {
        HttpResponse<byte[]> r =
            http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
          throw new IOException("HTTP " + r.statusCode() + " fetching " + uri.getPath());
        }
        if (r.body().length > MAX_BYTES) {
          throw new IOException("larger than " + MAX_BYTES + " bytes");
        }
        String mime = r.headers().firstValue("content-type").orElse(null);
        if (mime != null && mime.contains(";")) {
          mime = mime.substring(0, mime.indexOf(';')).trim();
        }
        return new Fetched(r.body(), mime);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
  }

  private void writeSidecar(Path file, Origin o, Download d, Fetched f, String sha)
      throws IOException {
    ObjectNode root = mapper.createObjectNode();
    ObjectNode p = root.putObject("provenance");
    p.put("tool", "comfyvn-compute");
    p.put("version", version);
    p.put("provider", o.provider());
    p.put("provider_job_id", o.providerJobId());
    p.put("task_id", o.taskId());
    p.put("seed", o.seed());
    p.put("workflow_hash", o.workflowHash());
    if (o.runner() != null) {
      p.put("runner", o.runner());
    }
    if (!o.inputs().isEmpty()) {
      ObjectNode in = p.putObject("inputs");
      new TreeMap<>(o.inputs()).forEach((name, hex) -> in.putObject(name).put("sha256", hex));
    }
    if (o.pov() != null) {
      p.put("pov", o.pov());
    }
    p.put("file", file.getFileName().toString());
    p.put("sha256", sha);
    p.put("bytes", f.bytes().length);
    p.put("mime", f.mime());
    if (d.url() != null) {
      p.put("source_url", d.url());
    }
    if (o.costUsd() != null) {
      p.put("cost_usd", o.costUsd());
    }
    p.put("submitted_at", o.submittedAt());
    p.put("stored_at", clock.instant().toString());
    Files.writeString(
        file.resolveSibling(file.getFileName() + SIDECAR_SUFFIX),
        mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root));
  }

  private static String fileName(Download d, String mime, int index) {
    String base = d.name();
    if (base == null && d.url() != null) {
      String path = URI.create(d.url()).getPath();
      base = path == null ? null : path.substring(path.lastIndexOf('/') + 1);
    }
    if (base == null || base.isBlank()) {
      base = "output-" + index + extension(mime);
    }
    return safe(base);
  }

  private static String extension(String mime) {
    if (mime == null) {
      return ".bin";
    }
    return switch (mime) {
      case "image/png" -> ".png";
      case "image/jpeg" -> ".jpg";
      case "image/webp" -> ".webp";
      case "video/mp4" -> ".mp4";
      case "audio/wav", "audio/x-wav" -> ".wav";
      default -> ".bin";
    };
  }

  private static String sniff(byte[] b) {
    if (b.length > 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      return "image/png";
    }
    if (b.length > 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8) {
      return "image/jpeg";
    }
    return "application/octet-stream";
  }

  /** Keeps names inside the folder: no separators, no dot-dot, bounded length. */
  static String safe(String name) {
    String s = name.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^\\.+", "_");
    return s.length() > 120 ? s.substring(s.length() - 120) : s;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
