// The nixpilot extension: starts `nixpilot lsp` over stdio with vscode-languageclient and
// forwards the pipeline commands to the server's `workspace/executeCommand`.

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

/** Commands that act on one host, found from the active file's `hosts/<host>/` path. */
const HOST_COMMANDS = new Set<string>(["nixpilot.bootstrap", "nixpilot.install", "nixpilot.deploy"]);

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
  const editor = vscode.window.activeTextEditor;
  const argument: { uri?: string; host?: string } = {};
  if (editor !== undefined) {
    argument.uri = editor.document.uri.toString();
    const host = hostOf(editor.document.uri.fsPath);
    if (host !== undefined) {
      argument.host = host;
    }
  }
  if (HOST_COMMANDS.has(command) && argument.host === undefined && args.length === 0) {
    const host = await vscode.window.showInputBox({
      title: "nixpilot",
      prompt: "Host name (a directory under hosts/)",
      validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(v) ? undefined : "Not a host name"),
    });
    if (host === undefined) {
      return undefined;
    }
    argument.host = host;
  }
  const params = { command, arguments: args.length > 0 ? args : [argument] };
  output.appendLine(`workspace/executeCommand ${JSON.stringify(params)}`);
  try {
    return await c.sendRequest(ExecuteCommandRequest.type, params);
  } catch (e) {
    output.appendLine(`${command} failed: ${errorText(e)}`);
    void vscode.window.showErrorMessage(`nixpilot: ${command} failed: ${errorText(e)}`);
    return undefined;
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
