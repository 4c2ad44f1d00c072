// Configuration of the demo page's widget: this server, and the language from ?lang=fr|en.
window.IMPWidgetConfig = (function () {
  var language = new URLSearchParams(window.location.search).get("lang") === "fr" ? "fr" : "en";
  return {
    serverUrl: window.location.origin,
    language: language,
    title: language === "fr" ? "Assistant PMI+" : "IMP+ assistant",
  };
})();
