-- nixpilot for Neovim >= 0.11: put this file at ~/.config/nvim/lsp/nixpilot.lua (or
-- anywhere on 'runtimepath' under lsp/) and call vim.lsp.enable('nixpilot') in init.lua.
-- Same shape as nvim-lspconfig's lsp/*.lua files; override any field with
-- vim.lsp.config('nixpilot', { cmd = { '/path/to/nixpilot', 'lsp' } }).
---@type vim.lsp.Config
return {
  cmd = { 'nixpilot', 'lsp' },
  filetypes = { 'nix' },
  root_markers = { 'flake.nix', '.git' },
  -- Answered for the server's workspace/configuration requests (section "nixpilot").
  settings = { nixpilot = {} },
}
