package io.comfyvn.compute.sim;

/**
 * The simulator's random numbers: SplitMix64 (Steele, Lea and Flood, 2014), a tiny generator whose
 * whole state is one {@code long}. It is written out here rather than taken from {@code
 * java.util.Random} or {@code SplittableRandom} so that the sequence for a seed is fixed by this
 * file alone, whatever the JDK. Gaussians use {@link StrictMath}, whose results are specified to
 * the bit on every platform ({@code Math.log} and {@code Math.cos} may differ by an ulp).
 */
public final class SplitMix64 {
  private long state;

  public SplitMix64(long seed) {
    this.state = seed;
  }

  /** The next 64 random bits. */
  public long nextLong() {
    long z = (state += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** A standard normal draw (Box-Muller; always consumes exactly two uniforms). */
  public double nextGaussian() {
    double u1 = 1.0 - nextDouble(); // (0, 1]: log(0) is not a number
    double u2 = nextDouble();
    return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * StrictMath.PI * u2);
  }

  /** A log-normal draw with the given median and shape, capped at {@code max}. */
  public long logNormal(double median, double sigma, long max) {
    double v = median * StrictMath.exp(sigma * nextGaussian());
    return Math.min(max, Math.round(v));
  }

  /** Mixes text into a seed (FNV-1a 64), so two providers with one seed draw different streams. */
  public static long mix(long seed, String text) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < text.length(); i++) {
      h ^= text.charAt(i);
      h *= 0x100000001b3L;
    }
    return seed ^ h;
  }
}
