package deploy

import (
	"fmt"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// Mirrors of the Kubernetes, Compose and Pomerium fields the manifests
// use. They are decoded with KnownFields, so a misspelt or misplaced key in
// a manifest fails the tests instead of being silently ignored by kubectl
// apply --validate=false, docker compose or Pomerium. Add a field here when
// a manifest starts using it.

type typeMeta struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
}

type objectMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

// intOrString is Kubernetes' IntOrString (ports, maxUnavailable).
type intOrString struct {
	Int   int
	Str   string
	IsStr bool
}

func (v *intOrString) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want an integer or a string", n.Line)
	}
	if n.Tag == "!!int" {
		i, err := strconv.Atoi(n.Value)
		v.Int = i
		return err
	}
	v.Str, v.IsStr = n.Value, true
	return nil
}

func (v intOrString) String() string {
	if v.IsStr {
		return v.Str
	}
	return strconv.Itoa(v.Int)
}

type deployment struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		Replicas             *int          `yaml:"replicas"`
		RevisionHistoryLimit *int          `yaml:"revisionHistoryLimit"`
		Selector             labelSelector `yaml:"selector"`
		Strategy             struct {
			Type          string `yaml:"type"`
			RollingUpdate *struct {
				MaxSurge       intOrString `yaml:"maxSurge"`
				MaxUnavailable intOrString `yaml:"maxUnavailable"`
			} `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
		Template struct {
			Metadata objectMeta `yaml:"metadata"`
			Spec     podSpec    `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	TerminationGracePeriodSeconds *int   `yaml:"terminationGracePeriodSeconds"`
	ServiceAccountName            string `yaml:"serviceAccountName"`
	AutomountServiceAccountToken  *bool  `yaml:"automountServiceAccountToken"`
	EnableServiceLinks            *bool  `yaml:"enableServiceLinks"`
	SecurityContext               struct {
		RunAsNonRoot   *bool  `yaml:"runAsNonRoot"`
		RunAsUser      *int64 `yaml:"runAsUser"`
		RunAsGroup     *int64 `yaml:"runAsGroup"`
		FSGroup        *int64 `yaml:"fsGroup"`
		SeccompProfile *struct {
			Type string `yaml:"type"`
		} `yaml:"seccompProfile"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []volume    `yaml:"volumes"`
}

type container struct {
	Name            string          `yaml:"name"`
	Image           string          `yaml:"image"`
	ImagePullPolicy string          `yaml:"imagePullPolicy"`
	Command         []string        `yaml:"command"`
	Args            []string        `yaml:"args"`
	Ports           []containerPort `yaml:"ports"`
	Env             []envVar        `yaml:"env"`
	ReadinessProbe  *probe          `yaml:"readinessProbe"`
	LivenessProbe   *probe          `yaml:"livenessProbe"`
	StartupProbe    *probe          `yaml:"startupProbe"`
	Lifecycle       *struct {
		PreStop *struct {
			Sleep *struct {
				Seconds int `yaml:"seconds"`
			} `yaml:"sleep"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext *struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		Capabilities             *struct {
			Drop []string `yaml:"drop"`
			Add  []string `yaml:"add"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
		SubPath   string `yaml:"subPath"`
	} `yaml:"volumeMounts"`
}

type containerPort struct {
	Name          string `yaml:"name"`
	ContainerPort int    `yaml:"containerPort"`
	Protocol      string `yaml:"protocol"`
}

type keyRef struct {
	Name     string `yaml:"name"`
	Key      string `yaml:"key"`
	Optional *bool  `yaml:"optional"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef     *keyRef `yaml:"secretKeyRef"`
		ConfigMapKeyRef  *keyRef `yaml:"configMapKeyRef"`
		ResourceFieldRef *struct {
			Resource      string `yaml:"resource"`
			ContainerName string `yaml:"containerName"`
			Divisor       string `yaml:"divisor"`
		} `yaml:"resourceFieldRef"`
		FieldRef *struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
	} `yaml:"valueFrom"`
}

type probe struct {
	HTTPGet *struct {
		Path   string      `yaml:"path"`
		Port   intOrString `yaml:"port"`
		Scheme string      `yaml:"scheme"`
	} `yaml:"httpGet"`
	InitialDelaySeconds int `yaml:"initialDelaySeconds"`
	PeriodSeconds       int `yaml:"periodSeconds"`
	TimeoutSeconds      int `yaml:"timeoutSeconds"`
	SuccessThreshold    int `yaml:"successThreshold"`
	FailureThreshold    int `yaml:"failureThreshold"`
}

type volume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
	Secret *struct {
		SecretName string `yaml:"secretName"`
	} `yaml:"secret"`
	EmptyDir *struct {
		Medium    string `yaml:"medium"`
		SizeLimit string `yaml:"sizeLimit"`
	} `yaml:"emptyDir"`
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
}

type service struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		Type            string            `yaml:"type"`
		Selector        map[string]string `yaml:"selector"`
		SessionAffinity string            `yaml:"sessionAffinity"`
		Ports           []struct {
			Name       string      `yaml:"name"`
			Port       int         `yaml:"port"`
			TargetPort intOrString `yaml:"targetPort"`
			Protocol   string      `yaml:"protocol"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type podDisruptionBudget struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		MaxUnavailable *intOrString  `yaml:"maxUnavailable"`
		MinAvailable   *intOrString  `yaml:"minAvailable"`
		Selector       labelSelector `yaml:"selector"`
	} `yaml:"spec"`
}

type scalingRules struct {
	StabilizationWindowSeconds *int   `yaml:"stabilizationWindowSeconds"`
	SelectPolicy               string `yaml:"selectPolicy"`
	Policies                   []struct {
		Type          string `yaml:"type"`
		Value         int    `yaml:"value"`
		PeriodSeconds int    `yaml:"periodSeconds"`
	} `yaml:"policies"`
}

type horizontalPodAutoscaler struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		ScaleTargetRef struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Name       string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		MinReplicas *int `yaml:"minReplicas"`
		MaxReplicas int  `yaml:"maxReplicas"`
		Metrics     []struct {
			Type     string `yaml:"type"`
			Resource *struct {
				Name   string `yaml:"name"`
				Target struct {
					Type               string `yaml:"type"`
					AverageUtilization *int   `yaml:"averageUtilization"`
					AverageValue       string `yaml:"averageValue"`
				} `yaml:"target"`
			} `yaml:"resource"`
		} `yaml:"metrics"`
		Behavior *struct {
			ScaleUp   *scalingRules `yaml:"scaleUp"`
			ScaleDown *scalingRules `yaml:"scaleDown"`
		} `yaml:"behavior"`
	} `yaml:"spec"`
}

type serviceMonitor struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		Selector  labelSelector `yaml:"selector"`
		Endpoints []struct {
			Port          string `yaml:"port"`
			Path          string `yaml:"path"`
			Interval      string `yaml:"interval"`
			ScrapeTimeout string `yaml:"scrapeTimeout"`
		} `yaml:"endpoints"`
	} `yaml:"spec"`
}

type configMap struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta        `yaml:"metadata"`
	Data     map[string]string `yaml:"data"`
}

type kustomization struct {
	typeMeta `yaml:",inline"`
	Labels   []struct {
		Pairs            map[string]string `yaml:"pairs"`
		IncludeSelectors bool              `yaml:"includeSelectors"`
	} `yaml:"labels"`
	Resources []string `yaml:"resources"`
}

// goguacdConfig is the part of goguacd's YAML configuration the wiring
// depends on. It is decoded leniently: the configuration's own loader
// (cmd/goguacd) rejects unknown keys.
type goguacdConfig struct {
	Guacd struct {
		Listen string `yaml:"listen"`
	} `yaml:"guacd"`
	Admin struct {
		Listen string `yaml:"listen"`
	} `yaml:"admin"`
	Web struct {
		Listen string `yaml:"listen"`
	} `yaml:"web"`
	Catalog struct {
		Postgres struct {
			DSN string `yaml:"dsn"`
		} `yaml:"postgres"`
	} `yaml:"catalog"`
	Passthrough struct {
		Address string `yaml:"address"`
	} `yaml:"passthrough"`
	Cluster *struct {
		Advertise  string `yaml:"advertise"`
		SecretFile string `yaml:"secret_file"`
		Kubernetes *struct {
			Namespace string `yaml:"namespace"`
			Service   string `yaml:"service"`
			Port      int    `yaml:"port"`
		} `yaml:"kubernetes"`
	} `yaml:"cluster"`
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
}

// composeFile mirrors the Compose specification fields compose.yaml uses.
type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Networks map[string]struct{}       `yaml:"networks"`
	Volumes  map[string]struct{}       `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	ContainerName   string            `yaml:"container_name"`
	Restart         string            `yaml:"restart"`
	DependsOn       []string          `yaml:"depends_on"`
	Command         []string          `yaml:"command"`
	Environment     map[string]string `yaml:"environment"`
	ReadOnly        bool              `yaml:"read_only"`
	User            string            `yaml:"user"`
	Volumes         []string          `yaml:"volumes"`
	Expose          []string          `yaml:"expose"`
	Ports           []string          `yaml:"ports"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	Networks        []string          `yaml:"networks"`
}

// pomeriumConfig mirrors the Pomerium settings compose/pomerium.yaml uses.
type pomeriumConfig struct {
	AuthenticateServiceURL string `yaml:"authenticate_service_url"`
	JWTClaimsHeaders       string `yaml:"jwt_claims_headers"`
	Routes                 []struct {
		From                string      `yaml:"from"`
		To                  string      `yaml:"to"`
		AllowWebsockets     bool        `yaml:"allow_websockets"`
		Timeout             string      `yaml:"timeout"`
		IdleTimeout         string      `yaml:"idle_timeout"`
		PassIdentityHeaders bool        `yaml:"pass_identity_headers"`
		Policy              []yaml.Node `yaml:"policy"`
	} `yaml:"routes"`
}

type serviceAccount struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
}

type role struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
	Rules    []struct {
		APIGroups     []string `yaml:"apiGroups"`
		Resources     []string `yaml:"resources"`
		ResourceNames []string `yaml:"resourceNames"`
		Verbs         []string `yaml:"verbs"`
	} `yaml:"rules"`
}

type roleBinding struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
	RoleRef  struct {
		APIGroup string `yaml:"apiGroup"`
		Kind     string `yaml:"kind"`
		Name     string `yaml:"name"`
	} `yaml:"roleRef"`
	Subjects []struct {
		Kind      string `yaml:"kind"`
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"subjects"`
}
