-- nixpilot in headless Neovim. Run by tests/editors.rs as
--   nvim --headless --clean -c 'luafile nvim-test.lua'
-- with `nixpilot` first on PATH, NIXPILOT_NVIM_DIR = editors/neovim and NIXPILOT_FILE = a
-- copy of the broken fixture's hosts/web1/configuration.nix. Neovim >= 0.11 loads the
-- shipped lsp/nixpilot.lua through vim.lsp.enable; older versions run nixpilot-legacy.lua.
-- Prints what it sees; exits 1 on a failed check.

local function say(...)
  io.stdout:write(string.format(...), '\n')
end

local function fail(...)
  say('FAIL: ' .. string.format(...))
  io.stdout:flush()
  vim.cmd('cquit! 1')
end

local function wait(what, ms, pred)
  if not vim.wait(ms, pred, 50) then
    fail('timed out after %d ms waiting for %s', ms, what)
  end
end

local function code_of(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

local function clients_of(buf)
  if vim.lsp.get_clients then -- 0.10+
    return vim.lsp.get_clients({ bufnr = buf })
  end
  return vim.tbl_values(vim.lsp.buf_get_clients(buf))
end

local function main()
  local dir = assert(os.getenv('NIXPILOT_NVIM_DIR'))
  local file = assert(os.getenv('NIXPILOT_FILE'))
  local v = vim.version()
  say('nvim %d.%d.%d', v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.11') == 1 then
    say('config: lsp/nixpilot.lua via vim.lsp.enable')
    vim.opt.runtimepath:prepend(dir)
    if os.getenv('NIXPILOT_NVIM_ERROR_RULE') then
      -- editors/README.md's settings example: rule levels in the nixpilot section.
      local rule = os.getenv('NIXPILOT_NVIM_ERROR_RULE')
      vim.lsp.config('nixpilot', { settings = { nixpilot = { rules = { [rule] = 'error' } } } })
      say('settings: nixpilot.rules.%s = error', rule)
    end
    vim.lsp.enable('nixpilot')
  else
    say('config: nixpilot-legacy.lua')
    dofile(dir .. '/nixpilot-legacy.lua')
  end
  vim.cmd('filetype on')
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  if vim.bo[buf].filetype ~= 'nix' then
    fail('filetype is %q', vim.bo[buf].filetype)
  end

  wait('nixpilot to attach', 30000, function()
    return #clients_of(buf) > 0
  end)
  for _, client in ipairs(clients_of(buf)) do
    say('client: %s (%s), root %s', client.name, table.concat(client.config.cmd, ' '), client.config.root_dir)
  end

  local function codes()
    local seen = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      seen[code_of(d) or '?'] = d
    end
    return seen
  end
  wait('diagnostics with codes unused-let-binding and unused-suppression', 60000, function()
    local seen = codes()
    return seen['unused-let-binding'] ~= nil and seen['unused-suppression'] ~= nil
  end)
  local error_rule = os.getenv('NIXPILOT_NVIM_ERROR_RULE')
  if error_rule then
    wait(error_rule .. ' diagnostics at severity error (from the settings)', 30000, function()
      local d = codes()[error_rule]
      return d ~= nil and d.severity == vim.diagnostic.severity.ERROR
    end)
    say('severity of %s: error', error_rule)
  end
  local target
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    say('diagnostic: line %d: [%s] %s', d.lnum + 1, code_of(d), d.message)
    if code_of(d) == 'unused-let-binding' and d.message:find('hostname') then
      target = d
    end
  end
  if not target then
    fail('no unused-let-binding diagnostic for hostname')
  end

  -- :lua vim.lsp.buf.code_action() on the diagnostic, choosing the fix from the menu.
  vim.api.nvim_win_set_cursor(0, { target.lnum + 1, target.col })
  local offered, chosen = {}, nil
  vim.ui.select = function(items, opts, on_choice)
    local format = opts.format_item or tostring
    for i, item in ipairs(items) do
      local title = format(item)
      table.insert(offered, title)
      if not chosen and title:find('^Remove the unused binding') then
        chosen = i
      end
    end
    if chosen then
      on_choice(items[chosen], chosen)
    else
      on_choice(nil, nil)
    end
  end
  vim.lsp.buf.code_action()
  wait('the code action menu', 30000, function()
    return #offered > 0
  end)
  for _, title in ipairs(offered) do
    say('code action: %s', title)
  end
  if not chosen then
    fail('no "Remove the unused binding" action offered')
  end
  local function text()
    return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  end
  wait('the binding to disappear from the buffer', 10000, function()
    return not text():find('hostname = "web1";', 1, true)
  end)
  if not text():find('networking.hostName = "web1";', 1, true) then
    fail('the fix removed too much:\n%s', text())
  end
  say('buffer after the fix:\n%s', text())
  say('OK')
end

local ok, err = pcall(main)
if not ok then
  fail('%s', tostring(err))
end
io.stdout:flush()
vim.cmd('qall!')
