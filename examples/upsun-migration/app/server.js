// A tiny HTTP app: answers with the greeting (a runtime variable) and what the build hook wrote.
const http = require("http");
const fs = require("fs");
const path = require("path");
const port = Number(process.env.PORT || 8780);
http
  .createServer((req, res) => {
    let build = "not built";
    try {
      build = fs.readFileSync(path.join(__dirname, "public", "build.txt"), "utf8").trim();
    } catch {}
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`${process.env.GREETING || "hello"} from release ${process.env.APP_RELEASE_ID || "?"} (${build})\n`);
  })
  .listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));
