// Swagger UI for /docs, started from a file rather than an inline script so the app's CSP (script-src 'self')
// allows it. The bundle is served by the app itself (vendored by the fastapi-offline package); nothing is fetched elsewhere.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
  });
});
