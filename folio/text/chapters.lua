--[[ Chapters converted to HTML fragments in one Pandoc process (`pandoc lua`, folio/text/pandoc.py).

A Pandoc process spends about 0.1 s starting citeproc (its locale and the style parsed) before it
reads a word: once per chapter when each chapter is a process of its own. Here one process reads
the chapters one after the other, each as `pandoc --from=READER --to=html5 --citeproc
--lua-filter=markup.lua --id-prefix=... --section-divs --wrap=none --html-q-tags --mathml` would:

- stdin: a JSON object {reader, abbreviations, filter, bibliographies, csl, in_text, chapters}, each chapter
  {markdown, id_prefix, lang};
- stdout: a JSON array, a result for each chapter in order: {html, warnings}, the warnings as
  Pandoc prints them on stderr, or {error} when the chapter could not be converted;
- the reader runs sandboxed (it reads no file); citeproc reads the bibliographies and the style.
]]

local job = pandoc.json.decode(io.read("a"), false)
FORMAT = "html5" -- what the markup filter is told it writes for, as `--to=html5` tells it
local filters = dofile(job.filter)
-- The abbreviations after which a space does not end a sentence ("fig. 2" keeps its number): the
-- command line reads them from Pandoc's data file, a reader called from Lua has a shorter list.
local reader_options = { abbreviations = {} }
for _, abbreviation in ipairs(job.abbreviations) do
  reader_options.abbreviations[abbreviation] = true
end

local writer_options = {
  section_divs = true,
  wrap_text = "wrap-none",
  html_q_tags = true,
  html_math_method = "mathml",
}

local function convert(chapter)
  local doc = pandoc.read(chapter.markdown, job.reader, reader_options, {}) -- {}: sandboxed, no file to read
  if chapter.lang then
    doc.meta.lang = chapter.lang
  end
  doc.meta.bibliography = job.bibliographies
  doc.meta.csl = job.csl
  if job.in_text then
    doc.meta["link-citations"] = true -- Pandoc links citations only when it makes the list
  else
    doc.meta["suppress-bibliography"] = true
  end
  doc = pandoc.utils.citeproc(doc)
  for _, filter in ipairs(filters) do
    doc = doc:walk(filter)
  end
  writer_options.identifier_prefix = chapter.id_prefix
  local html = pandoc.write(doc, "html5", writer_options)
  return html:sub(-1) == "\n" and html or html .. "\n" -- the command line ends its output with a newline
end

local results = {}
for index, chapter in ipairs(job.chapters) do
  local messages, ok, html = pandoc.log.silence(pcall, convert, chapter)
  local warnings = {}
  for at = #messages, 1, -1 do -- the log lists the latest first
    local fields = pandoc.json.decode(pandoc.json.encode(messages[at]), false)
    if fields.verbosity == "WARNING" or fields.verbosity == "ERROR" then
      -- as the command line prints it: "[WARNING] " and its text, continuation lines indented
      warnings[#warnings + 1] = "[" .. fields.verbosity .. "] " .. fields.pretty:gsub("\n", "\n  ")
    end
  end
  if ok then
    results[index] = { html = html, warnings = warnings }
  else
    results[index] = { error = tostring(html), warnings = warnings }
  end
end
io.write(pandoc.json.encode(results))
