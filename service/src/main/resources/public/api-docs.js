// Renders /openapi.json with Swagger UI. validatorUrl: null keeps the page offline (by default
// Swagger UI asks a public validator service for a badge).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: false
  });
});
