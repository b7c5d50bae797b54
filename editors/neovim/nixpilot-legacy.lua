-- nixpilot for Neovim 0.7 to 0.10 (no vim.lsp.config): paste into init.lua, or save as
-- ~/.config/nvim/plugin/nixpilot.lua. Starts one nixpilot server per project (the nearest
-- directory holding flake.nix, else .git) for every buffer of filetype nix.
local cmd = { 'nixpilot', 'lsp' } -- or { '/absolute/path/to/nixpilot', 'lsp' }

local function project_root(file)
  local dir = vim.fn.fnamemodify(file, ':p:h')
  if vim.fs and vim.fs.find then -- 0.8+
    local found = vim.fs.find({ 'flake.nix', '.git' }, { upward = true, path = dir })[1]
    return found and vim.fs.dirname(found) or dir
  end
  local flake = vim.fn.findfile('flake.nix', dir .. ';')
  return flake ~= '' and vim.fn.fnamemodify(flake, ':p:h') or dir
end

local clients = {} -- root -> client id (0.7 only; vim.lsp.start reuses clients itself)

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'nix',
  group = vim.api.nvim_create_augroup('nixpilot', { clear = true }),
  callback = function(args)
    local root = project_root(vim.api.nvim_buf_get_name(args.buf))
    local config = { name = 'nixpilot', cmd = cmd, root_dir = root, settings = { nixpilot = {} } }
    if vim.lsp.start then -- 0.8+
      vim.lsp.start(config, { bufnr = args.buf })
      return
    end
    local id = clients[root]
    if not id or not vim.lsp.get_client_by_id(id) then
      id = vim.lsp.start_client(config)
      clients[root] = id
    end
    if id then
      vim.lsp.buf_attach_client(args.buf, id)
    end
  end,
})
