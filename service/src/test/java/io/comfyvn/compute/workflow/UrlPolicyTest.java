package io.comfyvn.compute.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UrlPolicyTest {
  @ParameterizedTest(name = "{0} public={1}")
  @CsvSource({
    "127.0.0.1, false",
    "127.8.9.10, false",
    "0.0.0.0, false",
    "10.0.0.1, false",
    "172.16.5.4, false",
    "172.31.255.255, false",
    "192.168.0.1, false",
    "169.254.169.254, false",
    "100.64.0.1, false",
    "100.127.255.254, false",
    "198.18.0.1, false",
    "224.0.0.1, false",
    "255.255.255.255, false",
    "::1, false",
    "::, false",
    "fe80::1, false",
    "fc00::1, false",
    "fd12:3456::1, false",
    "::ffff:127.0.0.1, false",
    "::ffff:10.0.0.1, false",
    "8.8.8.8, true",
    "172.32.0.1, true",
    "100.128.0.1, true",
    "93.184.215.14, true",
    "2606:4700::1111, true",
    "::ffff:8.8.4.4, true"
  })
  void onlyPublicUnicastAddressesArePublic(String ip, boolean expected) throws Exception {
    InetAddress a = InetAddress.getByName(ip);
    assertThat(UrlPolicy.isPublic(a)).isEqualTo(expected);
    assertThat(UrlPolicy.PUBLIC_HTTPS.refuseAddress(a) == null).isEqualTo(expected);
    assertThat(new UrlPolicy(false, true).refuseAddress(a)).isNull();
  }
}
