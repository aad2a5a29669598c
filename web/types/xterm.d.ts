// terminal.js imports xterm.js by the address the server gives it (src/web/web-assets.ts); tsconfig's
// paths point that address here, to the package's own types.
export * from "@xterm/xterm";
