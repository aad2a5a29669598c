/** Debian's chromium (installed by the test preparation), never a downloaded one. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Flags that keep a headless chromium off the network and out of the way on a shared machine; the
 * browser tests and the page benchmark launch it the same way.
 */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
