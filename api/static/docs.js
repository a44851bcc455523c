// Renders the OpenAPI document as plain DOM (textContent only, no innerHTML).
(function () {
  "use strict";
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function resolve(spec, schema) {
    if (schema && schema.$ref) return spec.components.schemas[schema.$ref.split("/").pop()];
    return schema;
  }
  fetch("/openapi.json").then(function (r) { return r.json(); }).then(function (spec) {
    var root = document.getElementById("paths");
    Object.keys(spec.paths).forEach(function (path) {
      var ops = spec.paths[path];
      Object.keys(ops).forEach(function (method) {
        var op = ops[method];
        var sec = el("section");
        var head = el("div");
        head.appendChild(el("span", "m " + method, method.toUpperCase()));
        head.appendChild(el("code", null, path));
        head.appendChild(el("span", null, " — " + (op.summary || "")));
        sec.appendChild(head);
        (op.parameters || []).forEach(function (p) {
          sec.appendChild(el("div", null, "param " + p.name + " (" + p.in + (p.required ? ", required" : "") + ")"));
        });
        if (op.requestBody) {
          var body = resolve(spec, op.requestBody.content["application/json"].schema);
          var d = el("details"); d.appendChild(el("summary", null, "request body"));
          d.appendChild(el("pre", null, JSON.stringify(body, null, 2))); sec.appendChild(d);
        }
        Object.keys(op.responses).forEach(function (code) {
          var resp = op.responses[code];
          var content = resp.content && resp.content["application/json"];
          var d = el("details"); d.appendChild(el("summary", null, code + " " + resp.description));
          if (content) d.appendChild(el("pre", null, JSON.stringify(resolve(spec, content.schema), null, 2)));
          sec.appendChild(d);
        });
        root.appendChild(sec);
      });
    });
  });
})();
