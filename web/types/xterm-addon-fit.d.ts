// See xterm.d.ts: the fit addon, by the address the page imports it from.
export * from "@xterm/addon-fit";
