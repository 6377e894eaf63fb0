package io.comfyvn.compute.workflow;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * What a file is, from its first bytes (never from its name or a declared type, which the sender
 * chooses): the formats ComfyUI's loaders read and its save nodes write.
 */
public final class MediaTypes {
  private MediaTypes() {}

  /** A recognised format. */
  public record Sniffed(MediaKind kind, String mime, String extension) {}

  /** The format of a file, when its signature is one this service knows. */
  public static Optional<Sniffed> sniff(byte[] b) {
    if (starts(b, 0, 0x89, 'P', 'N', 'G')) {
      return of(MediaKind.IMAGE, "image/png", "png");
    }
    if (starts(b, 0, 0xFF, 0xD8, 0xFF)) {
      return of(MediaKind.IMAGE, "image/jpeg", "jpg");
    }
    if (ascii(b, 0, "GIF8")) {
      return of(MediaKind.IMAGE, "image/gif", "gif");
    }
    if (ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")) {
      return of(MediaKind.IMAGE, "image/webp", "webp");
    }
    if (ascii(b, 0, "RIFF") && ascii(b, 8, "WAVE")) {
      return of(MediaKind.AUDIO, "audio/wav", "wav");
    }
    if (ascii(b, 0, "RIFF") && ascii(b, 8, "AVI ")) {
      return of(MediaKind.VIDEO, "video/x-msvideo", "avi");
    }
    if (ascii(b, 0, "BM") && b.length > 14) {
      return of(MediaKind.IMAGE, "image/bmp", "bmp");
    }
    if (starts(b, 0, 'I', 'I', 0x2A, 0x00) || starts(b, 0, 'M', 'M', 0x00, 0x2A)) {
      return of(MediaKind.IMAGE, "image/tiff", "tiff");
    }
    if (ascii(b, 4, "ftyp")) {
      String brand = b.length >= 12 ? new String(b, 8, 4, StandardCharsets.US_ASCII) : "";
      if (brand.startsWith("M4A")) {
        return of(MediaKind.AUDIO, "audio/mp4", "m4a");
      }
      if (brand.equals("qt  ")) {
        return of(MediaKind.VIDEO, "video/quicktime", "mov");
      }
      return of(MediaKind.VIDEO, "video/mp4", "mp4");
    }
    if (starts(b, 0, 0x1A, 0x45, 0xDF, 0xA3)) {
      String head = new String(b, 0, Math.min(b.length, 64), StandardCharsets.US_ASCII);
      return head.toLowerCase(Locale.ROOT).contains("webm")
          ? of(MediaKind.VIDEO, "video/webm", "webm")
          : of(MediaKind.VIDEO, "video/x-matroska", "mkv");
    }
    if (ascii(b, 0, "fLaC")) {
      return of(MediaKind.AUDIO, "audio/flac", "flac");
    }
    if (ascii(b, 0, "OggS")) {
      return of(MediaKind.AUDIO, "audio/ogg", "ogg");
    }
    if (ascii(b, 0, "ID3") || starts(b, 0, 0xFF, 0xFB) || starts(b, 0, 0xFF, 0xF3)) {
      return of(MediaKind.AUDIO, "audio/mpeg", "mp3");
    }
    return Optional.empty();
  }

  /** Whether a loader of this kind reads a file of that format (GIF and WebP animate as video). */
  public static boolean loads(MediaKind loader, Sniffed file) {
    return switch (loader) {
      case IMAGE -> file.kind() == MediaKind.IMAGE;
      case VIDEO ->
          file.kind() == MediaKind.VIDEO
              || file.mime().equals("image/gif")
              || file.mime().equals("image/webp");
      case AUDIO -> file.kind() == MediaKind.AUDIO || file.kind() == MediaKind.VIDEO;
      default -> false;
    };
  }

  /** The MIME type of an output file by its extension, as the runners name them. */
  public static Optional<Sniffed> byExtension(String filename) {
    int dot = filename.lastIndexOf('.');
    String ext = dot < 0 ? "" : filename.substring(dot + 1).toLowerCase(Locale.ROOT);
    return switch (ext) {
      case "png" -> of(MediaKind.IMAGE, "image/png", "png");
      case "jpg", "jpeg" -> of(MediaKind.IMAGE, "image/jpeg", "jpg");
      case "webp" -> of(MediaKind.IMAGE, "image/webp", "webp");
      case "gif" -> of(MediaKind.IMAGE, "image/gif", "gif");
      case "mp4" -> of(MediaKind.VIDEO, "video/mp4", "mp4");
      case "webm" -> of(MediaKind.VIDEO, "video/webm", "webm");
      case "mov" -> of(MediaKind.VIDEO, "video/quicktime", "mov");
      case "mkv" -> of(MediaKind.VIDEO, "video/x-matroska", "mkv");
      case "flac" -> of(MediaKind.AUDIO, "audio/flac", "flac");
      case "mp3" -> of(MediaKind.AUDIO, "audio/mpeg", "mp3");
      case "wav" -> of(MediaKind.AUDIO, "audio/wav", "wav");
      case "opus", "ogg" -> of(MediaKind.AUDIO, "audio/ogg", ext);
      case "txt" -> of(MediaKind.TEXT, "text/plain", "txt");
      case "json" -> of(MediaKind.TEXT, "application/json", "json");
      case "latent" -> of(MediaKind.LATENT, "application/octet-stream", "latent");
      case "glb" -> of(MediaKind.FILE, "model/gltf-binary", "glb");
      default -> Optional.empty();
    };
  }

  private static Optional<Sniffed> of(MediaKind kind, String mime, String ext) {
    return Optional.of(new Sniffed(kind, mime, ext));
  }

  private static boolean starts(byte[] b, int at, int... sig) {
    if (b.length < at + sig.length) {
      return false;
    }
    for (int i = 0; i < sig.length; i++) {
      if ((b[at + i] & 0xff) != sig[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean ascii(byte[] b, int at, String sig) {
    return starts(b, at, sig.chars().toArray());
  }
}
