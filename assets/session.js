// When the server says the session is over (401 on a Dash request), go to the sign-in
// page instead of leaving a dead dashboard on the wall screen.
(function () {
  const originalFetch = window.fetch;
  window.fetch = function (input, init) {
    return originalFetch(input, init).then(function (response) {
      const url = typeof input === "string" ? input : (input && input.url) || "";
      if (response.status === 401 && url.indexOf("/_dash-") !== -1) {
        const next = encodeURIComponent(window.location.pathname + window.location.search);
        window.location.assign("/login?expired=1&next=" + next);
      }
      return response;
    });
  };
})();
