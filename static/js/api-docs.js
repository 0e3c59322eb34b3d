// Starts Swagger UI on /schema. A file, not an inline script, so the page's CSP forbids inline code.
(function () {
  "use strict";

  function cookie(name) {
    var row = document.cookie.split("; ").find(function (r) { return r.indexOf(name + "=") === 0; });
    return row ? decodeURIComponent(row.slice(name.length + 1)) : undefined;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("swagger-container");
    window.SwaggerUIBundle({
      url: container.getAttribute("data-openapi-url"),
      dom_id: "#swagger-container",
      deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
      // "Try it out" with the browser's session cookie needs the CSRF header as well.
      requestInterceptor: function (request) {
        var token = cookie("csrftoken");
        if (token !== undefined) request.headers["x-csrftoken"] = token;
        return request;
      },
    });
  });
})();
