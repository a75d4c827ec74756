// Starts the MiDistill language server for .distill files: the path in `midistill.server.path`
// (an executable, or a .dll run with `dotnet`), else the .NET tool `midistill-lsp` on PATH.
'use strict';
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function serverOptions() {
  const configured = vscode.workspace.getConfiguration('midistill').get('server.path', '').trim();
  if (configured.toLowerCase().endsWith('.dll')) {
    return { command: 'dotnet', args: [configured], transport: TransportKind.stdio };
  }
  return { command: configured || 'midistill-lsp', args: [], transport: TransportKind.stdio };
}

async function activate(context) {
  client = new LanguageClient('midistill', 'MiDistill recipes', serverOptions(), {
    documentSelector: [{ scheme: 'file', language: 'distill' }],
    synchronize: {
      // A saved C# file may declare a new [RecipeForm]: the server reads the project's forms again.
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.cs'),
    },
  });
  context.subscriptions.push(vscode.commands.registerCommand('midistill.restartServer', () => client.restart()));
  await client.start();
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
