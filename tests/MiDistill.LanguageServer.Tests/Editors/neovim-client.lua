-- Neovim's own LSP client (0.7: vim.lsp.start_client) against midistill-lsp, headless. It opens a
-- recipe, waits for the diagnostics, asks for completion at a chosen place and writes what it got
-- (the raw notification, what Neovim shows, the completion labels) as JSON for NeovimTests to read.
local server = os.getenv("MIDISTILL_LSP_DLL")
local recipe = os.getenv("MIDISTILL_RECIPE")
local out = os.getenv("MIDISTILL_OUT")
local line = tonumber(os.getenv("MIDISTILL_LINE"))
local character = tonumber(os.getenv("MIDISTILL_CHARACTER"))
local result = { published = {}, shown = {}, completion = {}, errors = {} }

local function finish()
  local f = io.open(out, "w")
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qa!")
end

vim.cmd("edit " .. vim.fn.fnameescape(recipe))
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "midistill",
  cmd = { "dotnet", server },
  root_dir = vim.fn.fnamemodify(recipe, ":p:h"),
  init_options = { debounceMilliseconds = 0 },
  handlers = {
    ["textDocument/publishDiagnostics"] = function(err, params, ctx, config)
      table.insert(result.published, params)
      vim.lsp.diagnostic.on_publish_diagnostics(err, params, ctx, config)
    end,
  },
  on_exit = function(code) if code ~= 0 then table.insert(result.errors, "server exited with " .. code) end end,
})
if not client_id then
  table.insert(result.errors, "vim.lsp.start_client failed")
  finish()
end
vim.lsp.buf_attach_client(buf, client_id)

if not vim.wait(90000, function() return #result.published > 0 end, 50) then
  table.insert(result.errors, "no diagnostics within 90 s")
  finish()
end
for _, d in ipairs(vim.diagnostic.get(buf)) do
  table.insert(result.shown, { lnum = d.lnum, col = d.col, message = d.message })
end

local client = vim.lsp.get_client_by_id(client_id)
local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = line, character = character } }
local response, err = client.request_sync("textDocument/completion", params, 30000, buf)
if not response or response.err then
  table.insert(result.errors, "completion failed: " .. vim.inspect(err or response.err))
else
  local items = response.result.items or response.result
  for _, item in ipairs(items) do table.insert(result.completion, item.label) end
end
client.stop()
finish()
