--[[ Folio's raw markup filter, run by Pandoc after citeproc (see folio/text/markup.py).

The manuscript check (folio/checks/markup.py) has refused every element outside the safe list
before Pandoc runs; this filter turns what is left into Pandoc's own elements, so every writer
renders it, and drops anything else as a second line of defence:
- HTML comments are dropped;
- <br> is a line break; <sup>, <sub>, <s>, <u>, <small>, <abbr>, <mark>, <kbd>, <cite>, <q>,
  <wbr> become spans marked data-folio-html for the HTML writers (the fragment renames them back
  into the element, attributes kept) and Pandoc's own superscript, subscript, strikeout,
  underline or quotation for the others (Word);
- \newpage and \pagebreak are page breaks; other raw TeX is dropped (the check warned about it);
- every link target is percent-encoded, so the URL is valid whatever its text shows; a link to
  a path (not a URL, not a #place) is dropped, its text kept.
]]

local PAIRED = {
  sup = true, sub = true, small = true, abbr = true, mark = true, kbd = true,
  cite = true, q = true, s = true, u = true,
}
local ATTRIBUTES = { id = true, class = true, lang = true, title = true, dir = true }
local HTML = FORMAT:match("html") or FORMAT:match("epub")

local function unescape(text)
  return (text:gsub("&quot;", '"'):gsub("&#39;", "'"):gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&amp;", "&"))
end

-- An opening or closing tag: name, attributes (a pandoc.Attr), closing?, self-closing?
local function parse_tag(raw)
  local closing, name, rest = raw:match("^<(/?)%s*([%a][%w]*)(.-)>$")
  if not name then
    return nil
  end
  name = name:lower()
  local self_closing = rest:match("/%s*$") ~= nil
  local id, classes, pairs = "", {}, {}
  for key, _, value in rest:gmatch('([%a][%w-]*)%s*=%s*(["\'])(.-)%2') do
    key = key:lower()
    if ATTRIBUTES[key] then
      value = unescape(value)
      if key == "id" then
        id = value
      elseif key == "class" then
        for class in value:gmatch("%S+") do
          table.insert(classes, class)
        end
      else
        table.insert(pairs, { key, value })
      end
    end
  end
  return name, pandoc.Attr(id, classes, pairs), closing == "/", self_closing
end

local function is_html(raw)
  return raw.format == "html" or raw.format == "html5"
end

local function is_tex(raw)
  return raw.format == "tex" or raw.format == "latex"
end

local function page_break()
  if FORMAT == "docx" then
    return pandoc.RawBlock("openxml", '<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
  end
  return pandoc.Div({}, pandoc.Attr("", { "page-break" }))
end

local function is_page_break(text)
  return text:match("^%s*\\newpage%s*$") or text:match("^%s*\\pagebreak%s*$")
end

-- The element for a paired tag around these inlines.
local function element(name, attr, content)
  if HTML then
    local marked = pandoc.Attr(attr.identifier, attr.classes, attr.attributes)
    marked.attributes["folio-html"] = name
    return pandoc.Span(content, marked)
  end
  local native = ({
    sup = pandoc.Superscript,
    sub = pandoc.Subscript,
    s = pandoc.Strikeout,
    u = pandoc.Underline,
  })[name]
  local inner
  if native then
    inner = native(content)
  elseif name == "q" then
    inner = pandoc.Quoted("DoubleQuote", content)
  else
    return pandoc.Span(content, attr)
  end
  return pandoc.Span({ inner }, attr)
end

-- Turn the raw tags of one inline list into elements, innermost first.
local function inlines(list)
  -- Most lists hold no raw markup: leave them as they are (rebuilding each one is slow).
  local raw = false
  for _, item in ipairs(list) do
    if item.t == "RawInline" then
      raw = true
      break
    end
  end
  if not raw then
    return nil
  end
  local out = pandoc.Inlines({})
  local stack = {} -- open tags: { name, attr, position in out }
  for _, item in ipairs(list) do
    if item.t == "RawInline" and is_html(item) then
      local name, attr, closing, self_closing = parse_tag(item.text)
      if name == "br" then
        out:insert(pandoc.LineBreak())
      elseif name == "wbr" then
        if HTML then
          out:insert(element("wbr", attr, {}))
        end
      elseif name and PAIRED[name] and not closing and not self_closing then
        table.insert(stack, { name, attr, #out })
      elseif name and PAIRED[name] and closing and #stack > 0 and stack[#stack][1] == name then
        local open = table.remove(stack)
        local content = pandoc.Inlines({})
        while #out > open[3] do
          content:insert(1, out:remove())
        end
        out:insert(element(name, open[2], content))
      end
      -- anything else (a comment, an unmatched or unknown tag) is dropped; its content stays
    elseif item.t == "RawInline" and is_tex(item) then
      -- raw TeX inside a paragraph is dropped (the check warned about it)
    else
      out:insert(item)
    end
  end
  return out
end

local function block(raw)
  if is_tex(raw) and is_page_break(raw.text) then
    return page_break()
  end
  if is_html(raw) or is_tex(raw) then
    return {}
  end
end

-- Characters a URL may hold as they are (RFC 3986 unreserved, reserved and the percent sign,
-- which is checked below); everything else is percent-encoded as UTF-8 bytes.
local function encode_url(url)
  local encoded = url:gsub("%%(%x?%x?)", function(hex)
    if #hex == 2 then
      return "%" .. hex
    end
    return "%25" .. hex
  end)
  local scheme, rest = encoded:match("^([%a][%w+.-]*:)(.*)$")
  if not scheme then
    scheme, rest = "", encoded
  end
  local authority, tail = rest:match("^(//[^/?#]*)(.*)$")
  if not authority then
    authority, tail = "", rest
  end
  local function escape(text, keep)
    return (text:gsub("[^%w%-%._~:/%?#@!%$&'%(%)%*%+,;=%%" .. keep .. "]", function(c)
      return string.format("%%%02X", c:byte())
    end))
  end
  -- Square brackets are allowed only around an IPv6 host.
  return scheme .. escape(authority, "%[%]") .. escape(tail, "")
end

-- A path ('/en/lessons/x') leads nowhere from a book: the link goes, its text stays (the check
-- warned). Any other target is percent-encoded.
local function link(el)
  if el.target:match("^#") then
    return el
  end
  if not el.target:match("^[%a][%w+.-]*:") then
    return el.content
  end
  -- A link that runs code or reads local files never reaches a book (the check refused it).
  local scheme = el.target:match("^([%a][%w+.-]*):"):lower()
  if scheme == "javascript" or scheme == "vbscript" or scheme == "data" or scheme == "file" then
    return el.content
  end
  el.target = encode_url(el.target)
  return el
end

-- The page break the fragment carries (<div class="page-break">), when Word is made from the
-- fragments' HTML: Word's own page break.
local function div(el)
  if FORMAT == "docx" and el.classes:includes("page-break") then
    return page_break()
  end
end

return {
  {
    RawBlock = block,
    Div = div,
    Inlines = inlines,
  },
  {
    Link = link,
  },
}
