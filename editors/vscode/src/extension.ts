// The nixpilot extension: starts `nixpilot lsp` over stdio with vscode-languageclient and
// forwards the pipeline commands to the server's `workspace/executeCommand`.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

/** Commands the extension forwards to the server; their ids are also the server's. */
export const PIPELINE_COMMANDS = [
  "nixpilot.bootstrap",
  "nixpilot.install",
  "nixpilot.deploy",
  "nixpilot.deployAll",
  "nixpilot.updateKeys",
] as const;

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let forwarders: vscode.Disposable[] = [];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("nixpilot");
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand("nixpilot.restartServer", async () => {
      await stop();
      await start();
    }),
    vscode.commands.registerCommand("nixpilot.showOutput", () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("nixpilot.server")) {
        const choice = await vscode.window.showInformationMessage(
          "nixpilot: the server settings changed.",
          "Restart server",
        );
        if (choice === "Restart server") {
          await vscode.commands.executeCommand("nixpilot.restartServer");
        }
      }
    }),
    { dispose: () => void stop() },
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

/** `~/` and `${workspaceFolder}` expanded, as the setting's description promises. */
export function resolveServerPath(configured: string, workspaceFolder: string | undefined): string {
  let p = configured.trim() || "nixpilot";
  if (p === "~" || p.startsWith("~/")) {
    p = path.join(os.homedir(), p.slice(1));
  }
  if (workspaceFolder !== undefined) {
    p = p.split("${workspaceFolder}").join(workspaceFolder);
  }
  return p;
}

async function start(): Promise<void> {
  const config = vscode.workspace.getConfiguration("nixpilot");
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const command = resolveServerPath(config.get<string>("server.path", "nixpilot"), folder);
  const args = ["lsp", ...config.get<string[]>("server.extraArgs", [])];
  const env = { ...process.env, ...config.get<Record<string, string>>("server.extraEnv", {}) };

  const serverOptions: ServerOptions = {
    command,
    args,
    transport: TransportKind.stdio,
    options: { env, cwd: folder },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "nix" },
      { scheme: "untitled", language: "nix" },
    ],
    // Answers the server's `workspace/configuration` for the `nixpilot` section and sends
    // `workspace/didChangeConfiguration` when it changes.
    synchronize: { configurationSection: "nixpilot" },
    middleware: {
      // Commands the server registers (executeCommandProvider) are run by
      // vscode-languageclient; from the palette they come without arguments, so fill in
      // the same ones the server's code actions carry.
      executeCommand: async (command, args, next) => {
        const filled = args.length > 0 ? args : await paletteArguments(command);
        return filled === undefined ? undefined : next(command, filled);
      },
    },
    outputChannel: output,
    traceOutputChannel: output,
  };

  output.appendLine(`Starting ${command} ${args.join(" ")}`);
  const c = new LanguageClient("nixpilot", "nixpilot", serverOptions, clientOptions);
  try {
    await c.start();
  } catch (e) {
    output.appendLine(`Could not start the server: ${errorText(e)}`);
    const choice = await vscode.window.showErrorMessage(
      `nixpilot: could not start \`${command} lsp\` (${errorText(e)}). ` +
        "Install nixpilot or set nixpilot.server.path.",
      "Open settings",
      "Show output",
    );
    if (choice === "Open settings") {
      void vscode.commands.executeCommand("workbench.action.openSettings", "nixpilot.server.path");
    } else if (choice === "Show output") {
      output.show(true);
    }
    return;
  }
  client = c;
  registerForwarders(c);
}

async function stop(): Promise<void> {
  forwarders.forEach((d) => d.dispose());
  forwarders = [];
  const c = client;
  client = undefined;
  if (c !== undefined) {
    await c.stop().catch((e) => output.appendLine(`Stopping the server: ${errorText(e)}`));
  }
}

/**
 * Registers the pipeline commands. A command the server lists in `executeCommandProvider`
 * is registered by vscode-languageclient itself (registering it twice would throw), so only
 * the others are forwarded here; until the server implements them, the user sees its error.
 */
function registerForwarders(c: LanguageClient): void {
  const advertised = new Set(c.initializeResult?.capabilities.executeCommandProvider?.commands ?? []);
  for (const id of PIPELINE_COMMANDS) {
    if (advertised.has(id)) {
      continue;
    }
    forwarders.push(vscode.commands.registerCommand(id, (...args: unknown[]) => forward(c, id, args)));
  }
}

async function forward(c: LanguageClient, command: string, args: unknown[]): Promise<unknown> {
  let filled = args.length > 0 ? args : await paletteArguments(command);
  if (filled === undefined) {
    return undefined;
  }
  if (command === "nixpilot.install" && filled.length === 2) {
    // The server cannot ask for text: the rescue system's address is asked here.
    const target = await vscode.window.showInputBox({
      title: `nixpilot: install ${String(filled[1])}`,
      prompt: "The rescue system's address, e.g. root@203.0.113.10 (empty: deployment.targetHost in the host's deploy.toml)",
      validateInput: (v) => (/^[^\s/]*$/.test(v) ? undefined : "An address like root@203.0.113.10"),
    });
    if (target === undefined) {
      return undefined;
    }
    filled = [...filled, target];
  }
  const params = { command, arguments: filled };
  output.appendLine(`workspace/executeCommand ${JSON.stringify(params)}`);
  try {
    return await c.sendRequest(ExecuteCommandRequest.type, params);
  } catch (e) {
    output.appendLine(`${command} failed: ${errorText(e)}`);
    void vscode.window.showErrorMessage(`nixpilot: ${command} failed: ${errorText(e)}`);
    return undefined;
  }
}

/**
 * The arguments of a pipeline command run from the palette, in the form of the server's
 * code actions: the project root (nearest directory with flake.nix above the active file,
 * else the first workspace folder), then the host (`hosts/<host>/` of the active file, or
 * asked for) or, for updateKeys, the active file relative to the root. `undefined` when the
 * user cancels.
 */
async function paletteArguments(command: string): Promise<unknown[] | undefined> {
  const file = vscode.window.activeTextEditor?.document.uri;
  const active = file?.scheme === "file" ? file.fsPath : undefined;
  const root =
    (active !== undefined ? projectRoot(path.dirname(active)) : undefined) ??
    vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (root === undefined) {
    void vscode.window.showErrorMessage("nixpilot: open a file of a flake repository first.");
    return undefined;
  }
  if (command === "nixpilot.deployAll") {
    return [root];
  }
  if (command === "nixpilot.updateKeys") {
    if (active === undefined) {
      void vscode.window.showErrorMessage("nixpilot: open the secrets file to update first.");
      return undefined;
    }
    return [root, path.relative(root, active).split(path.sep).join("/")];
  }
  let host = active !== undefined ? hostOf(active) : undefined;
  if (host === undefined) {
    host = await vscode.window.showInputBox({
      title: "nixpilot",
      prompt: "Host name (a directory under hosts/)",
      validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(v) ? undefined : "Not a host name"),
    });
  }
  return host === undefined ? undefined : [root, host];
}

/** The nearest directory at or above `dir` holding flake.nix. */
function projectRoot(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "flake.nix"))) {
      return d;
    }
    if (path.dirname(d) === d) {
      return undefined;
    }
  }
}

/** `web1` for `.../hosts/web1/configuration.nix`. */
export function hostOf(file: string): string | undefined {
  const parts = file.split(/[\\/]/);
  const i = parts.lastIndexOf("hosts");
  return i >= 0 && i + 2 < parts.length ? parts[i + 1] : undefined;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
