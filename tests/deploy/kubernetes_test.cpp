// The Kubernetes base: every manifest parses, kustomize lists them all, the
// StatefulSet matches the config it mounts and the requirements, and
// the PrometheusRule holds exactly the rule files (and is what the generator
// writes).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <set>
#include <string>

#include "deploy_files.h"

namespace fairwatch::testing {
namespace {

const std::filesystem::path kKubernetes = source_dir() / "deploy/kubernetes";

std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  EXPECT_EQ(::pclose(pipe), 0) << command;
  return output;
}

YAML::Node load_manifest(const std::string& name) {
  return YAML::LoadFile((kKubernetes / name).string());
}

TEST(Kubernetes, EveryManifestParsesAndIsListedByKustomize) {
  const YAML::Node kustomization = load_manifest("kustomization.yaml");
  std::set<std::string> listed;
  for (const YAML::Node& resource : kustomization["resources"]) {
    listed.insert(resource.as<std::string>());
  }
  for (const YAML::Node& generator : kustomization["configMapGenerator"]) {
    for (const YAML::Node& file : generator["files"]) listed.insert(file.as<std::string>());
  }
  std::set<std::string> present;
  for (const auto& file : files_ending(kKubernetes, ".yaml")) {
    const std::string name = file.filename().string();
    if (name == "kustomization.yaml") continue;
    present.insert(name);
    SCOPED_TRACE(name);
    std::vector<YAML::Node> documents;
    ASSERT_NO_THROW(documents = YAML::LoadAllFromFile(file.string()));
    ASSERT_EQ(documents.size(), 1u);
    if (name == "fairwatch.yaml") continue;  // the daemon's config, checked by check-config
    EXPECT_TRUE(documents[0]["apiVersion"]);
    EXPECT_TRUE(documents[0]["kind"]);
    EXPECT_EQ(documents[0]["metadata"]["name"].as<std::string>(""), "fairwatch");
    EXPECT_EQ(documents[0]["metadata"]["labels"]["app.kubernetes.io/name"].as<std::string>(""),
              "fairwatch");
  }
  EXPECT_EQ(present, listed);
}

TEST(Kubernetes, StatefulSetRunsHardenedWithProbesAndACheckpointVolumeMatchingTheConfig) {
  const YAML::Node config = load_manifest("fairwatch.yaml");
  const YAML::Node spec = load_manifest("statefulset.yaml")["spec"];
  const YAML::Node pod = spec["template"]["spec"];
  ASSERT_EQ(pod["containers"].size(), 1u);
  const YAML::Node container = pod["containers"][0];

  EXPECT_GE(pod["terminationGracePeriodSeconds"].as<int>(0), 30);
  EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>(false));
  EXPECT_GT(pod["securityContext"]["runAsUser"].as<int>(0), 0);
  EXPECT_TRUE(container["securityContext"]["readOnlyRootFilesystem"].as<bool>(false));
  EXPECT_FALSE(container["securityContext"]["allowPrivilegeEscalation"].as<bool>(true));
  EXPECT_EQ(container["securityContext"]["capabilities"]["drop"][0].as<std::string>(""), "ALL");
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"].as<std::string>(""), "/healthz");
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"].as<std::string>(""), "/readyz");
  EXPECT_TRUE(container["resources"]["requests"]["cpu"]);
  EXPECT_TRUE(container["resources"]["requests"]["memory"]);
  EXPECT_TRUE(container["resources"]["limits"]["memory"]);

  // The port the config listens on is the container's metrics port.
  const auto listen = config["exporter"]["listen"].as<std::string>();
  EXPECT_EQ(listen.substr(listen.rfind(':') + 1),
            std::to_string(container["ports"][0]["containerPort"].as<int>()));
  // The config is read from where the ConfigMap is mounted, the checkpoints
  // are written on the persistent volume.
  std::map<std::string, std::string> mounts;
  for (const YAML::Node& mount : container["volumeMounts"]) {
    mounts[mount["name"].as<std::string>()] = mount["mountPath"].as<std::string>();
  }
  EXPECT_EQ(container["args"][1].as<std::string>(""), mounts["config"] + "/fairwatch.yaml");
  EXPECT_EQ(mounts["checkpoints"], config["checkpoint"]["path"].as<std::string>());
  EXPECT_EQ(spec["volumeClaimTemplates"][0]["metadata"]["name"].as<std::string>(""), "checkpoints");
}

TEST(Kubernetes, PrometheusRuleHoldsExactlyTheRuleFiles) {
  YAML::Node expected(YAML::NodeType::Sequence);
  for (const auto& file : rule_files()) {
    for (const YAML::Node& group : YAML::LoadFile(file.string())["groups"]) {
      expected.push_back(group);
    }
  }
  const YAML::Node rule = load_manifest("prometheusrule.yaml");
  EXPECT_EQ(rule["kind"].as<std::string>(""), "PrometheusRule");
  EXPECT_EQ(YAML::Dump(rule["spec"]["groups"]), YAML::Dump(expected));
}

TEST(Kubernetes, PrometheusRuleIsWhatTheGeneratorWrites) {
  const std::string script = (kKubernetes / "generate-prometheus-rule.sh").string();
  EXPECT_EQ(run("sh '" + script + "' --stdout"), read_text(kKubernetes / "prometheusrule.yaml"))
      << "run deploy/kubernetes/generate-prometheus-rule.sh";
}

}  // namespace
}  // namespace fairwatch::testing
