/**
 * CLI wiring of `sockit http get`.
 *
 * @module
 */

import type { CommandSpec, GroupSpec } from "../command/spec.ts";
import { CliError, exitCodeOf, input, inputAsync, UsageError } from "../console/errors.ts";
import { planTarget, PROXY, timeoutOption } from "../command/options.ts";
import { parseProxyUrl } from "../inet/proxy_url.ts";
import { ProxyError } from "../net/proxy.ts";
import { planTlsClient, tlsClientOptions } from "../command/tls.ts";
import { readTlsClientOptions } from "../tls/args.ts";
import { checkDestination, STDOUT } from "../command/destination.ts";
import { HttpError, runHttpGet } from "./client.ts";
import { parseHeaderOption, parseHttpUrl } from "./request.ts";

const getCommand: CommandSpec = {
  kind: "command",
  name: "get",
  summary: "Fetch URL with a raw-socket HTTP/1.1 client; the body to stdout or FILE.",
  usage: "URL",
  args: { min: 1, max: 1 },
  options: {
    output: {
      type: "string",
      short: "o",
      value: "FILE",
      help: "save the body to FILE (complete or not at all; - for stdout)",
    },
    force: { type: "boolean", help: "replace an existing FILE" },
    include: {
      type: "boolean",
      short: "i",
      help: "print the status line and headers before the body",
    },
    head: { type: "boolean", short: "I", help: "HEAD request: print the headers only" },
    location: { type: "boolean", short: "L", help: "follow redirects (301/302/303/307/308)" },
    "max-redirs": { type: "string", value: "N", help: "most redirects to follow", default: 10 },
    header: {
      type: "string",
      short: "H",
      multiple: true,
      value: "'Name: value'",
      help: "add or replace a request header",
    },
    timeout: timeoutOption("give up when connecting, a byte or the whole header takes longer"),
    fail: { type: "boolean", short: "f", help: "exit 1 on HTTP status ≥ 400 (and print no body)" },
    ...tlsClientOptions(false),
    proxy: PROXY,
  },
  description: [
    "Written on Deno.connect/connectTls, not fetch: it sends 'GET PATH HTTP/1.1' with Host, " +
    "User-Agent: sockit/VERSION, Accept: */* and Connection: close, and reads Content-Length, " +
    "chunked and close-delimited bodies. -v shows request and response headers (and trailers) " +
    'on stderr. --json prints {"event":"response","status","headers","size","seconds"} ' +
    "on stdout instead of the body (use -o to keep the body).",
    "With -o the body goes to a temporary file renamed to FILE only when the response is " +
    "complete: a truncated or malformed response, or a timeout, exits 1 and leaves no FILE. " +
    "An existing FILE is replaced only with --force; a FILE that is a folder, or whose folder " +
    "is missing, is refused (exit 2) before the request goes out. -o - is stdout. " +
    "--timeout bounds the connect, each wait for a byte, and the whole response header " +
    "(interim 1xx responses included; more than 100 of them is an error). Whatever the server " +
    "sends is escaped before it reaches stderr; -i prints its header raw, as curl does. A bad " +
    "URL (scheme, host, port) exits 2.",
    "https: the certificate chain and name are verified against the system's roots, or only " +
    "--cacert's CAs when given. --pin trusts exactly the certificate with that SHA-256 " +
    "fingerprint (a server's self-signed one, say), --insecure trusts any certificate (chain " +
    "and name unchecked) and says so. TLS runs on node:tls, since Deno.connectTls cannot skip " +
    "chain verification. An untrusted certificate is named with its subject, issuer and " +
    "fingerprint, and the --pin that would trust it.",
  ],
  verbose: "show the request and response headers (and trailers) on stderr",
  examples: [
    "sockit http get http://127.0.0.1:8080/",
    "sockit http get -i http://example.com/",
    "sockit http get -L -o page.html https://example.com/old",
    "sockit http get -I --timeout 3000 http://[::1]:8080/file.iso",
    "sockit http get -H 'Accept: application/json' --fail http://127.0.0.1:8080/api",
  ],
  plan(args, p) {
    // Redirects can lead anywhere: following them takes the whole network, as curl -L would.
    if (args.flag("location")) p.grant("net");
    planTarget(
      p,
      args.positional(0),
      (url) => {
        const { hostname, port } = parseHttpUrl(url);
        return { transport: "tcp", hostname, port };
      },
      args.text("proxy"),
      parseProxyUrl,
    );
    const output = args.text("output");
    if (output !== undefined && output !== STDOUT) p.besides(output);
    planTlsClient(args, p);
  },
  async run({ args, out, signal }) {
    const url = args.positional(0);
    input(() => parseHttpUrl(url));
    const headers = args.texts("header").map((h) => input(() => parseHeaderOption(h)));
    const tls = await inputAsync(() => readTlsClientOptions(args));
    const proxyText = args.text("proxy");
    const proxy = proxyText === undefined ? undefined : input(() => parseProxyUrl(proxyText));
    if (tls.insecure) {
      out.warn("--insecure: the server's certificate is not checked (chain and name)");
    }
    const output = args.text("output");
    if (args.flag("head") && output !== undefined) {
      throw new CliError("-I prints headers only; it cannot be combined with -o", { exitCode: 2 });
    }
    if (output !== undefined) {
      const refusal = await checkDestination(output, { force: args.flag("force") });
      if (refusal?.problem === "exists") {
        throw new CliError(refusal.message, { hint: "use --force to replace it" });
      }
      if (refusal) {
        throw new UsageError(
          refusal.message,
          refusal.problem === "directory" ? "use -o DIR/NAME" : undefined,
        );
      }
    }
    try {
      await runHttpGet(url, out, {
        output: output === STDOUT ? undefined : output,
        include: args.flag("include"),
        head: args.flag("head"),
        follow: args.flag("location"),
        maxRedirects: args.number("max-redirs"),
        headers,
        timeoutMs: args.integer("timeout"),
        fail: args.flag("fail"),
        tls,
        proxy,
        signal,
      });
    } catch (err) {
      if (err instanceof ProxyError) throw new CliError(err.message, { cause: err });
      if (err instanceof HttpError && err.reason === "untrusted") {
        throw new CliError(err.message, {
          hint: err.trust?.hint ?? "for a private CA use --cacert FILE",
          cause: err,
        });
      }
      throw err;
    }
    return exitCodeOf(signal);
  },
};

/** The `http` group. */
export const httpGroup: GroupSpec = {
  kind: "group",
  name: "http",
  summary: "HTTP/1.1 client on raw sockets (curl's -i -I -L -o -f -H -v)",
  commands: [getCommand],
};
