"""/docs renders Swagger UI from the app's own files under the app's CSP: no other host, no console error."""

from playwright.sync_api import expect

from tests.browser.conftest import shoot


def test_swagger_ui_renders_under_the_csp(page, server):
    page.goto(server + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Stride")
    expect(page.locator(".opblock-summary-path", has_text="/api/conv2d")).to_be_visible()
    page.locator(".opblock-summary-path", has_text="/api/conv2d").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    shoot(page, "api-docs", full_page=False)
