import Foundation
import TensorIO
import TestSupport
import Testing

@testable import ModelReferences

@Suite struct EnvironmentTests {
  @Test func defaultsFollowHome() {
    let env = HubEnvironment(["HOME": "/home/u"])
    #expect(env.hfHome == "/home/u/.cache/huggingface")
    #expect(env.hubCache == "/home/u/.cache/huggingface/hub")
    #expect(env.tokenPath == "/home/u/.cache/huggingface/token")
    #expect(env.endpoint == "https://huggingface.co")
    #expect(env.headerCache == "/home/u/.cache/adaptest/hub")
    #expect(!env.offline)
    #expect(env.timeoutSeconds == 10)
  }

  @Test func precedenceIsHuggingFaceHubs() {
    // XDG_CACHE_HOME moves HF_HOME; HF_HOME moves the hub cache and token; the legacy
    // HUGGINGFACE_HUB_CACHE yields to HF_HUB_CACHE.
    #expect(HubEnvironment(["HOME": "/h", "XDG_CACHE_HOME": "/x"]).hubCache == "/x/huggingface/hub")
    let home = HubEnvironment(["HOME": "/h", "XDG_CACHE_HOME": "/x", "HF_HOME": "~/hf"])
    #expect(home.hubCache == "/h/hf/hub")
    #expect(home.tokenPath == "/h/hf/token")
    #expect(HubEnvironment(["HF_HOME": "/a", "HUGGINGFACE_HUB_CACHE": "/legacy"]).hubCache == "/legacy")
    #expect(HubEnvironment(["HUGGINGFACE_HUB_CACHE": "/legacy", "HF_HUB_CACHE": "/new"]).hubCache == "/new")
    #expect(HubEnvironment(["HF_TOKEN_PATH": "/t/token", "HF_HOME": "/a"]).tokenPath == "/t/token")
    #expect(HubEnvironment(["HF_ENDPOINT": "http://mirror:8080//"]).endpoint == "http://mirror:8080")
    #expect(HubEnvironment(["ADAPTEST_HUB_CACHE": "/c"]).headerCache == "/c")
  }

  @Test(arguments: [("1", true), ("on", true), ("YES", true), ("true", true), ("0", false), ("no", false), ("", false)])
  func offlineValues(value: String, offline: Bool) {
    #expect(HubEnvironment(["HF_HUB_OFFLINE": value]).offline == offline)
    #expect(HubEnvironment(["TRANSFORMERS_OFFLINE": value]).offline == offline)
  }

  static let proxies: [([String: String], String?)] = [
    (["HTTPS_PROXY": "http://proxy.corp:3128"], "http://proxy.corp:3128"),
    (["https_proxy": "proxy.corp:8080", "HTTPS_PROXY": "http://other:1"], "http://proxy.corp:8080"),
    (["HTTPS_PROXY": "http://user:s3cret@proxy.corp:3128/"], "http://<credentials>@proxy.corp:3128"),
    (["HTTPS_PROXY": "http://proxy.corp"], "http://proxy.corp:80"),
    (["HTTP_PROXY": "http://proxy.corp:3128"], nil),
    (["HTTPS_PROXY": "socks5://proxy.corp:1080"], nil),
    (["HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": "localhost, huggingface.co"], nil),
    (["HTTPS_PROXY": "http://proxy.corp:3128", "no_proxy": ".co"], nil),
    (["HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": "*"], nil),
    (["HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": "face.co,example.org"], "http://proxy.corp:3128"),
    (["HTTP_PROXY": "http://127.0.0.1:8888", "HF_ENDPOINT": "http://mirror.local:8080"], "http://127.0.0.1:8888"),
  ]

  @Test(arguments: proxies)
  func proxiesAreChosenAsRequestsChoosesThem(environment: [String: String], proxy: String?) {
    #expect(HubEnvironment(environment).proxy?.description == proxy)
  }

  @Test func proxyCredentialsAreKeptButNeverShown() {
    let proxy = HubEnvironment(["HTTPS_PROXY": "http://user:s3cret@proxy.corp:3128"]).proxy
    #expect(proxy?.credentials == HubProxy.Credentials(user: "user", password: "s3cret"))
    var dumped = ""
    dump(HubEnvironment(["HTTPS_PROXY": "http://user:s3cret@proxy.corp:3128"]), to: &dumped)
    #expect(!dumped.contains("s3cret"))
  }

  @Test func tokensComeFromTheEnvironmentThenTheFileAndAreNeverShown() throws {
    let scratch = TemporaryDirectory("hub")
    let file = scratch.file("token")
    try AtomicFile.write(text: "  hf_from_file\n", to: file)
    let fromFile = HubEnvironment(["HF_TOKEN_PATH": file])
    #expect(fromFile.token?.secret == "hf_from_file")
    #expect(HubEnvironment(["HF_TOKEN_PATH": file, "HF_TOKEN": "hf_env\r\n"]).token?.secret == "hf_env")
    #expect(HubEnvironment(["HF_TOKEN_PATH": file, "HUGGING_FACE_HUB_TOKEN": "hf_legacy"]).token?.secret == "hf_legacy")
    #expect(HubEnvironment(["HF_TOKEN_PATH": scratch.file("none"), "HF_TOKEN": " \n"]).token == nil)
    let env = HubEnvironment(["HF_TOKEN": "hf_secret_value"])
    #expect(!"\(env.token!)".contains("hf_secret"))
    #expect(!String(reflecting: env.token!).contains("hf_secret"))
    var dumped = ""
    dump(env, to: &dumped)
    #expect(!dumped.contains("hf_secret"))
  }
}
